from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import dunning as dunning_engine


class OtcDunningPolicy(models.Model):
    _name = "otc.dunning.policy"
    _description = "Dunning Policy"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    allow_level_skip = fields.Boolean(
        tracking=True,
        help="A customer far overdue goes straight to the highest level it "
        "qualifies for, instead of one level per run.",
    )
    auto_send = fields.Boolean(
        string="Send Automatically",
        tracking=True,
        help="Send the communications a scheduled run prepares, without review.",
    )
    level_ids = fields.One2many(
        "otc.dunning.level", "policy_id", string="Levels", copy=True
    )

    @api.constrains("level_ids")
    def _check_levels(self):
        for policy in self:
            policy._engine_policy()

    def _engine_policy(self):
        self.ensure_one()
        try:
            return dunning_engine.Policy(
                levels=tuple(level._engine_level() for level in self.level_ids),
                allow_level_skip=self.allow_level_skip,
                rounding=self.currency_id.rounding,
            )
        except ValueError as error:
            raise ValidationError(
                self.env._(
                    "Dunning policy %(policy)s: %(error)s",
                    policy=self.name,
                    error=error,
                )
            ) from error
