from odoo import api, fields, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    # Indexed: the receivables open at a past date, the KPIs' payments of a
    # period and the payment history of the predictions all select the
    # reconciliations by the date they took effect.
    max_date = fields.Date(index=True)

    def _otc_invalidate_months(self):
        # a reconciliation taking effect on a summarised day changes its
        # month's collections (usually it takes effect today, after the open
        # month's last summarised day: nothing to do)
        self.env["otc.receivable.month"]._otc_invalidate(
            {(rec.company_id.id, rec.max_date) for rec in self}
        )

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._otc_invalidate_months()
        return partials

    def unlink(self):
        self._otc_invalidate_months()
        return super().unlink()
