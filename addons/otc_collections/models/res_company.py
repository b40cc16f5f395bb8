from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import aging as aging_engine

DEFAULT_AGING_BUCKETS = ",".join(str(bound) for bound in aging_engine.DEFAULT_BUCKETS)


class ResCompany(models.Model):
    _inherit = "res.company"

    otc_forecast_cache = fields.Json(
        "Cash-in Forecast of the Week",
        readonly=True,
        copy=False,
        groups="otc_order_to_cash.group_otc_ar_clerk",
        help="Stored by the daily payment prediction with the key of its inputs; "
        "the dashboard reuses it while they are unchanged.",
    )
    otc_default_dunning_policy_id = fields.Many2one(
        "otc.dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Policy of customers without one of their own; the daily dunning "
        "run covers the companies that have one.",
        groups="base.group_user",
    )
    otc_default_collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Collector of the customers that no rule and no manual choice assign.",
        groups="base.group_user",
    )
    otc_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=2,
        help="Days after the promised date before an unpaid promise counts as "
        "broken (bank transfers take time).",
    )
    # Not required (see otc_default_credit_policy): empty means the defaults.
    otc_aging_buckets = fields.Char(
        string="Aging Buckets",
        default=DEFAULT_AGING_BUCKETS,
        help="Upper bounds of the aging buckets of customer statements, in days "
        "overdue, separated by commas: 0,30,60,90 gives Current, 1-30, 31-60, "
        "61-90 and Over 90. Empty: 0,30,60,90.",
    )

    otc_alert_dso_above = fields.Float(
        string="Alert: DSO Above",
        help="Raise an alert when the DSO of the last three months is above this "
        "number of days (0: no alert).",
        groups="base.group_user",
    )
    otc_alert_cei_below = fields.Float(
        string="Alert: CEI Below",
        help="Raise an alert when the collection effectiveness index of the last "
        "three months is below this percentage (0: no alert).",
        groups="base.group_user",
    )
    otc_alert_worsening_days = fields.Integer(
        string="Alert: Customer Later By",
        default=10,
        help="Raise an alert when a customer's average days late over the last three "
        "months exceed those of the three months before by more than this (0: no alert).",
        groups="base.group_user",
    )
    otc_alert_large_amount = fields.Monetary(
        string="Alert: Large Invoice From",
        currency_field="currency_id",
        help="Raise an alert when an invoice of at least this amount is predicted to "
        "be paid late (0: no alert).",
        groups="base.group_user",
    )
    otc_alert_large_late_days = fields.Integer(
        string="Alert: Predicted Late By",
        default=15,
        help="Days after its due date from which a large invoice's predicted payment "
        "counts as late.",
        groups="base.group_user",
    )

    @api.constrains("otc_aging_buckets")
    def _check_otc_aging_buckets(self):
        for company in self:
            company._otc_aging_bounds()

    def _otc_aging_bounds(self):
        """The company's aging bucket bounds, validated by the aging engine."""
        self.ensure_one()
        try:
            return aging_engine.parse_buckets(
                (self.otc_aging_buckets or "").strip() or DEFAULT_AGING_BUCKETS
            )
        except ValueError as error:
            raise ValidationError(
                self.env._(
                    "Invalid aging buckets for %(company)s: %(error)s",
                    company=self.name,
                    error=error,
                )
            ) from error
