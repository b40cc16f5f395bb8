from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    otc_default_dunning_policy_id = fields.Many2one(
        related="company_id.otc_default_dunning_policy_id", readonly=False
    )
    otc_default_collector_id = fields.Many2one(
        related="company_id.otc_default_collector_id", readonly=False
    )
    otc_promise_grace_days = fields.Integer(
        related="company_id.otc_promise_grace_days", readonly=False
    )
    otc_aging_buckets = fields.Char(
        related="company_id.otc_aging_buckets", readonly=False
    )
    otc_alert_dso_above = fields.Float(
        related="company_id.otc_alert_dso_above", readonly=False
    )
    otc_alert_cei_below = fields.Float(
        related="company_id.otc_alert_cei_below", readonly=False
    )
    otc_alert_worsening_days = fields.Integer(
        related="company_id.otc_alert_worsening_days", readonly=False
    )
    otc_alert_large_amount = fields.Monetary(
        related="company_id.otc_alert_large_amount",
        readonly=False,
        currency_field="currency_id",
    )
    otc_alert_large_late_days = fields.Integer(
        related="company_id.otc_alert_large_late_days", readonly=False
    )
