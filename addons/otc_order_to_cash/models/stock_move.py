from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    # copy=True: a backorder of a partly received return keeps its return line.
    otc_return_line_id = fields.Many2one(
        "otc.return.line", string="Return Line", index="btree_not_null", copy=True
    )
