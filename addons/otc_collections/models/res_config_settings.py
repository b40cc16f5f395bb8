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
