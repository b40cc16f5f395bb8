from odoo import fields, models


class OtcDunningRunWizardLine(models.TransientModel):
    _name = "otc.dunning.run.wizard.line"
    _description = "Dunning Run Preview Line"

    wizard_id = fields.Many2one(
        "otc.dunning.run.wizard", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="wizard_id.company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer")
    level = fields.Integer()
    item_count = fields.Integer(string="Items")
    overdue_total = fields.Monetary(string="Overdue")
    net_due = fields.Monetary()
    fee_amount = fields.Monetary(string="Fee")
    interest_total = fields.Monetary(string="Interest")
    channels = fields.Char()
    credit_hold = fields.Boolean(string="Hold")
