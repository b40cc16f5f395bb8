import logging

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

_logger = logging.getLogger(__name__)

# What a collector may change on a communication not sent yet: how it goes
# out. Amounts, fee, interest and hold come from the run and its level.
_COLLECTOR_FIELDS = frozenset(
    {"channel_email", "channel_letter", "channel_sms", "channel_call"}
)


class OtcDunningCommunication(models.Model):
    """One reminder to one customer at one level: what was (or will be) sent.

    Prepared by a dunning run, reviewed, then sent on its level's channels:
    email from the level's template with the reminder PDF, a printed letter
    (the same PDF), an SMS through Odoo's SMS queue to the customer's mobile
    in E.164, and a phone-call activity for the collector. Sending also
    invoices the level's fee and interest and applies its credit hold.

    Only runs create communications (in SQL, as superuser): nobody creates
    one through the ORM, and a collector may only change the channels of
    one not sent yet. Sending is for collectors; the fee and the hold are
    read from the level when sending, so what goes to the customer's
    account is what a manager configured, never a value typed on the
    communication. Each communication is sent in its own savepoint: one
    that fails is marked *Failed* with the error and the others go out.
    """

    _name = "otc.dunning.communication"
    _description = "Dunning Communication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # Collectors note on communications they may not edit.
    _mail_post_access = "read"
    _order = "date desc, level_sequence desc, id desc"
    _rec_names_search = ["partner_id.name", "key"]

    run_id = fields.Many2one("otc.dunning.run", index=True, ondelete="cascade")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    policy_id = fields.Many2one("otc.dunning.policy", required=True)
    level_id = fields.Many2one("otc.dunning.level")
    level_sequence = fields.Integer(string="Level Number")
    date = fields.Date(required=True, index=True)
    key = fields.Char(required=True, readonly=True)
    state = fields.Selection(
        [
            ("prepared", "To Send"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="prepared",
        required=True,
        tracking=True,
        index=True,
    )
    line_ids = fields.One2many("otc.dunning.communication.line", "communication_id")
    overdue_total = fields.Monetary(string="Overdue")
    credits_netted = fields.Monetary()
    net_due = fields.Monetary()
    fee_amount = fields.Monetary(string="Fee")
    interest_total = fields.Monetary(string="Interest")
    credit_hold = fields.Boolean(string="Puts on Credit Hold")
    channel_email = fields.Boolean(string="Email")
    channel_letter = fields.Boolean(string="Letter")
    channel_sms = fields.Boolean(string="SMS")
    channel_call = fields.Boolean(string="Call")
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True)
    sms_number = fields.Char(string="SMS Number (E.164)", readonly=True)
    sent_on = fields.Datetime(readonly=True)
    sent_by_id = fields.Many2one("res.users", readonly=True)
    send_error = fields.Text(string="Sending Error", readonly=True)

    _sql_constraints = [
        (
            "key_unique",
            "unique(company_id, key)",
            "This customer has this dunning level on this date already.",
        )
    ]

    def _compute_display_name(self):
        for comm in self:
            comm.display_name = self.env._(
                "%(customer)s, level %(level)s, %(date)s",
                customer=comm.partner_id.display_name,
                level=comm.level_sequence,
                date=comm.date,
            )

    @api.model_create_multi
    def create(self, vals_list):
        # Runs insert communications in SQL; an ORM create is a forged one
        # (the access rules give no group create, this holds for sudo'ed
        # code paths reached on behalf of a user too).
        if not self.env.su:
            raise AccessError(
                self.env._("Dunning communications are prepared by dunning runs only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if set(vals) - _COLLECTOR_FIELDS:
                raise AccessError(
                    self.env._(
                        "Only the channels of a dunning communication can be changed;"
                        " its amounts, fee and hold come from its dunning level."
                    )
                )
            if any(comm.state not in ("prepared", "failed") for comm in self):
                raise UserError(
                    self.env._("A communication that was sent cannot be changed.")
                )
        return super().write(vals)

    def _check_collector(self):
        if self.env.su:
            return
        if not self.env.user.has_group("otc_order_to_cash.group_otc_collector"):
            raise AccessError(
                self.env._("Only collectors can send or cancel dunning communications.")
            )
        self.check_access("read")

    def action_send(self):
        """Send the communications not sent yet (or failed), each in its own
        savepoint: a customer whose sending fails is marked *Failed* with the
        error, the others are sent."""
        self._check_collector()
        to_send = self.filtered(lambda c: c.state in ("prepared", "failed"))
        for comm in to_send:
            try:
                with self.env.cr.savepoint():
                    comm._send()
            except Exception as error:  # noqa: BLE001 - recorded, the run carries on
                _logger.warning(
                    "Dunning communication %s could not be sent: %s", comm.id, error
                )
                message = str(error.args[0] if error.args else error)
                comm.sudo().write({"state": "failed", "send_error": message})
                comm.message_post(
                    body=self.env._("Sending failed: %s", message),
                    subtype_xmlid="mail.mt_note",
                )
        return True

    def action_cancel(self):
        self._check_collector()
        if any(comm.state not in ("prepared", "failed") for comm in self):
            raise UserError(
                self.env._("Only communications not sent yet can be cancelled.")
            )
        self.sudo().write({"state": "cancelled"})
        return True

    def action_print(self):
        return self.env.ref("otc_collections.action_report_otc_dunning").report_action(
            self
        )

    def _level_charges(self):
        """(fee, credit hold) of this communication's level, read when sending."""
        self.ensure_one()
        level = self.level_id.sudo()
        if not level:
            return 0.0, False
        return self.currency_id.round(level._engine_level().fee_amount), bool(
            level.credit_hold
        )

    def _send(self):
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        notes = []
        if self.channel_email:
            template = self.level_id.mail_template_id or self.env.ref(
                "otc_collections.mail_template_otc_dunning"
            )
            if partner.email:
                email_values = {}
                if self.level_id.attach_statement:
                    email_values["attachment_ids"] = [
                        Command.link(attachment.id)
                        for attachment in template.attachment_ids
                        | self._statement_attachment()
                    ]
                template.send_mail(
                    self.id,
                    email_layout_xmlid="mail.mail_notification_light",
                    email_values=email_values or None,
                )
            else:
                notes.append(self.env._("No email address: the email was not sent."))
        if self.channel_sms:
            notes.extend(self._send_sms(partner))
        if self.channel_call:
            self._schedule_call(partner)
        fee, hold = self._level_charges()
        values = {"fee_amount": fee, "credit_hold": hold}
        if fee or self.interest_total:
            values["fee_move_id"] = self._create_fee_invoice(fee).id
        if hold and not partner.otc_credit_hold:
            partner._otc_set_hold(
                self.env._(
                    "Dunning level %(level)s (%(name)s)",
                    level=self.level_sequence,
                    name=self.level_id.name or "",
                ),
                hold_type="auto",
            )
        self.sudo().write(
            dict(
                values,
                state="sent",
                sent_on=fields.Datetime.now(),
                sent_by_id=self.env.uid,
                send_error=False,
            )
        )
        for note in notes:
            self.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _statement_attachment(self):
        """The customer's statement PDF, open items as of the reminder date."""
        self.ensure_one()
        return self.env["report.otc_collections.report_otc_statement"]._otc_attachment(
            self.partner_id, self.company_id, self.date, self._name, self.id
        )

    def _customer_number(self, partner):
        """The customer's mobile (else phone) in E.164, or False."""
        country = partner.country_id or self.company_id.country_id
        for number in (partner.mobile, partner.phone):
            if number:
                formatted = partner._phone_format(
                    number=number, country=country, force_format="E164"
                )
                if formatted:
                    return formatted
        return False

    def _send_sms(self, partner):
        number = self._customer_number(partner)
        if not number:
            return [self.env._("No valid mobile number: the SMS was not sent.")]
        body = self.level_id.with_context(lang=partner.lang).sms_body or ""
        self.env["sms.sms"].sudo().create(
            {
                "number": number,
                "partner_id": partner.id,
                "body": f"{body} {self.env._('Amount due')}: "
                f"{format_amount(self.env, self.net_due, self.currency_id)}",
            }
        )
        self.sudo().sms_number = number
        return []

    def _collector(self, partner):
        line = (
            self.env["otc.worklist"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", self.company_id.id),
                ],
                limit=1,
            )
        )
        return (
            line.collector_id
            or partner.otc_collector_id
            or self.company_id.otc_default_collector_id
            or self.env.user
        )

    def _schedule_call(self, partner):
        number = self._customer_number(partner) or partner.phone or partner.mobile or ""
        partner.sudo().activity_schedule(
            "mail.mail_activity_data_call",
            user_id=self._collector(partner).id,
            date_deadline=self.date,
            summary=self.env._(
                "Dunning call, level %(level)s: %(number)s",
                level=self.level_sequence,
                number=number,
            ),
            note=Markup("<p>%s</p>")
            % self.env._(
                "%(customer)s owes %(amount)s overdue. Call %(number)s.",
                customer=partner.display_name,
                amount=format_amount(self.env, self.net_due, self.currency_id),
                number=number or self.env._("(no number)"),
            ),
        )

    def _create_fee_invoice(self, fee):
        lines = []
        fee_product = self.level_id.fee_product_id or self.env.ref(
            "otc_collections.product_otc_dunning_fee"
        )
        if fee:
            lines.append(
                fields.Command.create(
                    {
                        "product_id": fee_product.id,
                        "name": self.env._(
                            "Reminder fee, level %(level)s", level=self.level_sequence
                        ),
                        "quantity": 1,
                        "price_unit": fee,
                        "tax_ids": [fields.Command.clear()],
                    }
                )
            )
        if self.interest_total:
            interest_product = self.env.ref("otc_collections.product_otc_late_interest")
            lines.append(
                fields.Command.create(
                    {
                        "product_id": interest_product.id,
                        "name": self.env._("Late payment interest until %s", self.date),
                        "quantity": 1,
                        "price_unit": self.interest_total,
                        "tax_ids": [fields.Command.clear()],
                    }
                )
            )
        move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .sudo()
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "invoice_date": self.date,
                    "invoice_origin": self.display_name,
                    "invoice_line_ids": lines,
                }
            )
        )
        move.action_post()
        return move
