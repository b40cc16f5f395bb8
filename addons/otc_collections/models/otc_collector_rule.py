from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OtcCollectorRule(models.Model):
    _name = "otc.collector.rule"
    _description = "Collector Assignment Rule"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    collector_id = fields.Many2one(
        "res.users",
        required=True,
        domain="[('share', '=', False)]",
    )
    country_ids = fields.Many2many("res.country", string="Countries")
    salesperson_ids = fields.Many2many(
        "res.users",
        "otc_collector_rule_salesperson_rel",
        "rule_id",
        "user_id",
        string="Salespersons",
    )
    min_amount = fields.Monetary(string="Overdue from")
    max_amount = fields.Monetary(
        string="Overdue below", help="Leave 0 for no upper bound."
    )

    @api.constrains("min_amount", "max_amount")
    def _check_band(self):
        for rule in self:
            if rule.min_amount < 0 or rule.max_amount < 0:
                raise ValidationError(self.env._("Amount bands cannot be negative."))
            if rule.max_amount and rule.max_amount <= rule.min_amount:
                raise ValidationError(
                    self.env._("Rule %s: the amount band is empty.", rule.name)
                )
