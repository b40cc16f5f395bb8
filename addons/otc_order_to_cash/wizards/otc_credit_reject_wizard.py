from odoo import fields, models


class OtcCreditRejectWizard(models.TransientModel):
    _name = "otc.credit.reject.wizard"
    _description = "Reject Credit Request"

    approval_ids = fields.Many2many("otc.credit.approval", required=True)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.approval_ids._otc_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
