from odoo import fields, models
from odoo.exceptions import UserError


class OtcCreditHoldWizard(models.TransientModel):
    _name = "otc.credit.hold.wizard"
    _description = "Put Customers on Credit Hold"

    partner_ids = fields.Many2many("res.partner", required=True)
    reason = fields.Char(required=True)

    def action_hold(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason of the credit hold."))
        partners = self.partner_ids.commercial_partner_id
        partners._otc_check_credit_write_access({"otc_credit_hold"})
        partners._otc_set_hold(self.reason.strip())
        return {"type": "ir.actions.act_window_close"}
