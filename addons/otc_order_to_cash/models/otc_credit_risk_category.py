from odoo import fields, models


class OtcCreditRiskCategory(models.Model):
    _name = "otc.credit.risk.category"
    _description = "Customer Credit Risk Category"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Char()
    description = fields.Text(translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share.")
