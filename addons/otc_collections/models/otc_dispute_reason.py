from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OtcDisputeReason(models.Model):
    _name = "otc.dispute.reason"
    _description = "Dispute Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10)
    sla_days = fields.Integer(
        string="Resolution Deadline (days)",
        default=14,
        help="Days from the opening of a dispute to its deadline.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share.")

    @api.constrains("sla_days")
    def _check_sla_days(self):
        if any(reason.sla_days < 0 for reason in self):
            raise ValidationError(
                self.env._("A resolution deadline cannot be negative.")
            )
