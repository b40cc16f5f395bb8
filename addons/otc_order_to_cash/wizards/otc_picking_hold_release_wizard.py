from odoo import fields, models


class OtcPickingHoldReleaseWizard(models.TransientModel):
    _name = "otc.picking.hold.release.wizard"
    _description = "Release a Delivery from the Credit Hold"

    picking_ids = fields.Many2many("stock.picking", required=True)
    reason = fields.Char(required=True)

    def action_release(self):
        self.ensure_one()
        self.picking_ids._otc_release_hold(self.reason)
        return {"type": "ir.actions.act_window_close"}
