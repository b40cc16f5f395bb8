from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        # a company created after the install gets its bank fee account with
        # its chart, as the companies present at install did (post_init_hook)
        (company or self.env.company)._otc_ensure_cash_writeoff_account()
        return res
