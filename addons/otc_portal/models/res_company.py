from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    otc_portal_show_credit = fields.Boolean(
        string="Show Credit on the Portal",
        help="Customers see their credit limit and available credit on their "
        "portal account page. Off by default.",
    )
    otc_portal_promise_horizon = fields.Integer(
        string="Promise Horizon (days)",
        default=30,
        help="Furthest date, in days from today, a customer may promise to pay "
        "by from the portal.",
    )
    otc_portal_request_validity = fields.Integer(
        string="Payment Request Validity (days)",
        default=14,
        help="Days during which the link of an emailed payment request works.",
    )

    @api.constrains("otc_portal_promise_horizon", "otc_portal_request_validity")
    def _check_otc_portal_days(self):
        for company in self:
            if company.otc_portal_promise_horizon < 0:
                raise ValidationError(
                    self.env._("The promise horizon cannot be negative.")
                )
            if company.otc_portal_request_validity < 1:
                raise ValidationError(
                    self.env._("A payment request must be valid for at least a day.")
                )
