from odoo import api, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        if "date_maturity" in vals:
            # a due date moved after payment changes the days late of the
            # invoice parts already reconciled: their months leave the
            # monthly summary (otc.receivable.month) until summarised again
            self.env["otc.receivable.month"]._otc_invalidate(
                {
                    (partial.company_id.id, partial.max_date)
                    for partial in self.filtered(
                        lambda line: line.parent_state == "posted"
                    ).matched_credit_ids
                }
            )
        return super().write(vals)

    @api.model
    def _otc_reconcile_simple(self, pairs):
        # cash application writes these partials set-based, without create:
        # the monthly summary follows them as after create
        partials = super()._otc_reconcile_simple(pairs)
        partials._otc_summarise(1)
        return partials
