from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    otc_return_line_id = fields.Many2one(
        "otc.return.line",
        string="Return Line",
        index="btree_not_null",
        copy=False,
        readonly=True,
        groups="sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
