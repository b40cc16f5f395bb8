from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    otc_portal_show_credit = fields.Boolean(
        related="company_id.otc_portal_show_credit", readonly=False
    )
    otc_portal_promise_horizon = fields.Integer(
        related="company_id.otc_portal_promise_horizon", readonly=False
    )
    otc_portal_request_validity = fields.Integer(
        related="company_id.otc_portal_request_validity", readonly=False
    )
