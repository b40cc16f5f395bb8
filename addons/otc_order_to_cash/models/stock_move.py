from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    # copy=True: a backorder of a partly received return keeps its return line.
    otc_return_line_id = fields.Many2one(
        "otc.return.line",
        string="Return Line",
        index="btree_not_null",
        copy=True,
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
