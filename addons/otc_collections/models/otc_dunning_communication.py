from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount


class OtcDunningCommunication(models.Model):
    """One reminder to one customer at one level: what was (or will be) sent.

    Prepared by a dunning run, reviewed, then sent on its level's channels:
    email from the level's template with the reminder PDF, a printed letter
    (the same PDF), an SMS through Odoo's SMS queue to the customer's mobile
    in E.164, and a phone-call activity for the collector. Sending also
    invoices the level's fee and interest and applies its credit hold.
    """

    _name = "otc.dunning.communication"
    _description = "Dunning Communication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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

    def action_send(self):
        to_send = self.filtered(lambda c: c.state == "prepared")
        for comm in to_send:
            comm._send()
        return True

    def action_cancel(self):
        if any(comm.state != "prepared" for comm in self):
            raise UserError(
                self.env._("Only communications not sent yet can be cancelled.")
            )
        self.write({"state": "cancelled"})
        return True

    def action_print(self):
        return self.env.ref("otc_collections.action_report_otc_dunning").report_action(
            self
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
        if self.fee_amount or self.interest_total:
            self.fee_move_id = self._create_fee_invoice()
        if self.credit_hold and not partner.otc_credit_hold:
            partner._otc_set_hold(
                self.env._(
                    "Dunning level %(level)s (%(name)s)",
                    level=self.level_sequence,
                    name=self.level_id.name or "",
                ),
                hold_type="auto",
            )
        self.write(
            {
                "state": "sent",
                "sent_on": fields.Datetime.now(),
                "sent_by_id": self.env.uid,
            }
        )
        for note in notes:
            self.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _statement_attachment(self):
        """The customer's statement PDF, open items as of the reminder date."""
        self.ensure_one()
        return self.env["otc.statement.wizard"]._attachment_for(
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
        self.sms_number = number
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

    def _create_fee_invoice(self):
        lines = []
        fee_product = self.level_id.fee_product_id or self.env.ref(
            "otc_collections.product_otc_dunning_fee"
        )
        if self.fee_amount:
            lines.append(
                fields.Command.create(
                    {
                        "product_id": fee_product.id,
                        "name": self.env._(
                            "Reminder fee, level %(level)s", level=self.level_sequence
                        ),
                        "quantity": 1,
                        "price_unit": self.fee_amount,
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
