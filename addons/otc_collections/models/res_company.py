from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import aging as aging_engine


class ResCompany(models.Model):
    _inherit = "res.company"

    otc_default_dunning_policy_id = fields.Many2one(
        "otc.dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Policy of customers without one of their own; the daily dunning "
        "run covers the companies that have one.",
    )
    otc_default_collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Collector of the customers that no rule and no manual choice assign.",
    )
    otc_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=2,
        help="Days after the promised date before an unpaid promise counts as "
        "broken (bank transfers take time).",
    )
    otc_aging_buckets = fields.Char(
        string="Aging Buckets",
        required=True,
        default=",".join(str(bound) for bound in aging_engine.DEFAULT_BUCKETS),
        help="Upper bounds of the aging buckets of customer statements, in days "
        "overdue, separated by commas: 0,30,60,90 gives Current, 1-30, 31-60, "
        "61-90 and Over 90.",
    )

    @api.constrains("otc_aging_buckets")
    def _check_otc_aging_buckets(self):
        for company in self:
            company._otc_aging_bounds()

    def _otc_aging_bounds(self):
        """The company's aging bucket bounds, validated by the aging engine."""
        self.ensure_one()
        try:
            return aging_engine.parse_buckets(self.otc_aging_buckets or "")
        except ValueError as error:
            raise ValidationError(
                self.env._(
                    "Invalid aging buckets for %(company)s: %(error)s",
                    company=self.name,
                    error=error,
                )
            ) from error
