from odoo import fields, models


class OtcReturnRefuseWizard(models.TransientModel):
    _name = "otc.return.refuse.wizard"
    _description = "Refuse Return"

    return_ids = fields.Many2many("otc.return", required=True)
    reason = fields.Text(required=True, help="Sent to the customer.")

    def action_refuse(self):
        self.ensure_one()
        self.return_ids._otc_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
