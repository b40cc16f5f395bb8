from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    otc_return_line_id = fields.Many2one(
        "otc.return.line",
        string="Return Line",
        index="btree_not_null",
        copy=False,
        readonly=True,
    )
