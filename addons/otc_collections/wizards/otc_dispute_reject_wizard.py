from odoo import fields, models


class OtcDisputeRejectWizard(models.TransientModel):
    _name = "otc.dispute.reject.wizard"
    _description = "Reject Disputes"

    dispute_ids = fields.Many2many("otc.dispute", required=True)
    note = fields.Text(string="Reason", required=True)

    def action_reject(self):
        self.ensure_one()
        self.dispute_ids._reject(self.note)
        return {"type": "ir.actions.act_window_close"}
