from odoo import fields, models


class OtcReturnReason(models.Model):
    """Why goods come back, and what that means for the return's steps."""

    _name = "otc.return.reason"
    _description = "Return Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Empty: the reason is offered in every company."
    )
    goods_back = fields.Boolean(
        string="Goods Come Back",
        default=True,
        help="The customer sends the goods back: approving the return creates a "
        "return receipt. Off: the customer keeps them (nothing to collect).",
    )
    inspection = fields.Boolean(
        string="Inspection Needed",
        help="Returned goods are inspected on receipt: an activity is planned "
        "for the return's responsible when they arrive.",
    )
    credit_on = fields.Selection(
        [("approval", "On Approval"), ("receipt", "On Receipt")],
        string="Credit Given",
        default="receipt",
        required=True,
        help="On Approval: the requested quantities can be credited as soon as "
        "the return is approved. On Receipt: only what came back is credited.",
    )
    restocking_fee = fields.Float(
        string="Restocking Fee (%)",
        help="Share of the credited amount kept as a restocking fee, shown as "
        "its own line on the credit note.",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        (
            "restocking_fee_range",
            "CHECK(restocking_fee >= 0 AND restocking_fee <= 100)",
            "The restocking fee is a percentage between 0 and 100.",
        ),
    ]
