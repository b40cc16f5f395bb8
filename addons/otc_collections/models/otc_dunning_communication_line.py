from odoo import fields, models


class OtcDunningCommunicationLine(models.Model):
    _name = "otc.dunning.communication.line"
    _description = "Dunning History"
    _order = "due_date, id"
    # Immutable history written by the thousand in SQL: no create/write
    # user columns, whose foreign keys would double the cost of each row.
    _log_access = False

    communication_id = fields.Many2one(
        "otc.dunning.communication", required=True, ondelete="cascade", index=True
    )
    # Stored for the multi-company rule (the run's SQL insert writes it).
    company_id = fields.Many2one(
        related="communication_id.company_id", store=True, index=True
    )
    move_line_id = fields.Many2one("account.move.line", string="Item", index=True)
    move_id = fields.Many2one(related="move_line_id.move_id", string="Invoice")
    currency_id = fields.Many2one(related="communication_id.currency_id")
    due_date = fields.Date()
    residual = fields.Monetary(string="Amount Due")
    days_overdue = fields.Integer()
    interest_days = fields.Integer()
    interest = fields.Monetary()
    level_sequence = fields.Integer(
        related="communication_id.level_sequence", string="Level"
    )
    date = fields.Date(related="communication_id.date")
    state = fields.Selection(related="communication_id.state")
