from odoo import fields, models


class OtcReturnLine(models.Model):
    _inherit = "otc.return.line"

    # Staff-only: the inspection's verdict, the salesperson, the stock moves
    # and journal items behind the line.
    condition = fields.Selection(groups="base.group_user")
    salesperson_id = fields.Many2one(groups="base.group_user")
    move_ids = fields.One2many(groups="base.group_user")
    credit_line_ids = fields.One2many(groups="base.group_user")
    outside_window = fields.Boolean(groups="base.group_user")
