from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    otc_promise_grace_days = fields.Integer(
        related="company_id.otc_promise_grace_days", readonly=False
    )
