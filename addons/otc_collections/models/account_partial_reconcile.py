from odoo import api, fields, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    # Indexed: the receivables open at a past date, the KPIs' payments of a
    # period and the payment history of the predictions all select the
    # reconciliations by the date they took effect.
    max_date = fields.Date(index=True)

    def _otc_summarise(self, sign):
        # a reconciliation taking effect on a summarised day changes its
        # month's collections: appended to the monthly summary (usually it
        # takes effect today, after the open month's last summarised day:
        # nothing to add)
        self.env["otc.receivable.month"]._otc_append_paid(self, sign)

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._otc_summarise(1)
        return partials

    def unlink(self):
        self._otc_summarise(-1)
        return super().unlink()
