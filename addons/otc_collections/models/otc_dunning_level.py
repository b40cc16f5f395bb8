from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import dunning as dunning_engine


class OtcDunningLevel(models.Model):
    _name = "otc.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence"

    policy_id = fields.Many2one("otc.dunning.policy", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    sequence = fields.Integer(
        string="Level",
        required=True,
        default=1,
        help="1 for the first reminder, then 2, 3...",
    )
    name = fields.Char(required=True, translate=True)
    days = fields.Integer(string="Days after Due Date", required=True)
    grace_days = fields.Integer()
    min_amount = fields.Monetary(string="Minimum Overdue Amount")
    channel_email = fields.Boolean(string="Email", default=True)
    channel_letter = fields.Boolean(string="Letter")
    channel_sms = fields.Boolean(string="SMS")
    channel_call = fields.Boolean(string="Phone Call")
    mail_template_id = fields.Many2one(
        "mail.template",
        domain="[('model', '=', 'otc.dunning.communication')]",
        default=lambda self: self.env.ref(
            "otc_collections.mail_template_otc_dunning", raise_if_not_found=False
        ),
    )
    attach_statement = fields.Boolean(
        help="Attach the customer's statement of account (open items as of the "
        "reminder date, with their aging) to the reminder email.",
    )
    sms_body = fields.Text(
        string="SMS Text",
        translate=True,
        default=lambda self: self.env._(
            "Reminder: your account shows an overdue balance. Please contact us or pay at your earliest convenience."
        ),
    )
    fee_product_id = fields.Many2one("product.product")
    fee_amount = fields.Monetary(string="Fee")
    interest_rate = fields.Float(string="Late Interest (% per year)")
    interest_basis = fields.Selection(
        [("360", "360 days"), ("365", "365 days")], default="365"
    )
    interest_min = fields.Monetary(string="Minimum Interest")
    interest_after_grace = fields.Boolean(string="Interest from End of Grace")
    credit_hold = fields.Boolean(
        string="Put on Credit Hold",
        help="Customers reaching this level are put on credit hold.",
    )

    @api.constrains(
        "sequence",
        "days",
        "grace_days",
        "min_amount",
        "fee_amount",
        "interest_rate",
        "interest_min",
    )
    def _check_level(self):
        for level in self:
            level._engine_level()

    def _channels(self):
        self.ensure_one()
        return tuple(
            channel
            for channel, enabled in (
                (dunning_engine.CHANNEL_EMAIL, self.channel_email),
                (dunning_engine.CHANNEL_LETTER, self.channel_letter),
                (dunning_engine.CHANNEL_SMS, self.channel_sms),
                (dunning_engine.CHANNEL_CALL, self.channel_call),
            )
            if enabled
        )

    def _engine_level(self):
        self.ensure_one()
        fee = self.fee_amount
        if self.fee_product_id and not fee:
            fee = self.fee_product_id.lst_price
        try:
            return dunning_engine.Level(
                sequence=self.sequence,
                days=self.days,
                name=self.name or "",
                grace_days=self.grace_days,
                min_amount=self.min_amount,
                channels=self._channels(),
                fee_amount=fee,
                fee_product_id=self.fee_product_id.id or None,
                interest_rate=self.interest_rate,
                interest_basis=int(self.interest_basis or 365),
                interest_min=self.interest_min,
                interest_after_grace=self.interest_after_grace,
                credit_hold=self.credit_hold,
            )
        except ValueError as error:
            raise ValidationError(
                self.env._(
                    "Dunning level %(level)s: %(error)s", level=self.name, error=error
                )
            ) from error
