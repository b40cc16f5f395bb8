from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # copy=True: the backorder of a partly received return stays on the return.
    otc_return_id = fields.Many2one(
        "otc.return", string="Return Authorisation", index="btree_not_null", copy=True
    )

    def _action_done(self):
        res = super()._action_done()
        self.otc_return_id._otc_on_receipt()
        return res

    def action_otc_create_return(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Authorisation"),
            "res_model": "otc.return",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_sale_order_id": self.sale_id.id,
                "default_picking_id": self.id,
            },
        }
