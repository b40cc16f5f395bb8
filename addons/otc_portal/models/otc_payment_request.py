import datetime

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import consteq, format_amount, hash_sign, verify_hash_signed

from ..engine import allocation as allocation_engine
from ..engine import validation as validation_engine

TOKEN_SCOPE = "otc_portal.payment_request"


class OtcPaymentRequest(models.Model):
    """Invoices a customer pays together on the portal, with the amount of each.

    Two sources: the customer ticks invoices (and credit notes) on the portal
    and goes to payment, or a collector sends a *payment request*: an email
    whose signed link opens the same payment page, logged in or not, until
    the request expires. Either way one payment transaction per attempt pays
    exactly these documents for these amounts (see ``payment.transaction``),
    after checking again that they are still open.
    """

    _name = "otc.payment.request"
    _description = "Payment Request"
    _inherit = ["otc.sequence.mixin", "portal.mixin", "mail.thread"]
    _order = "id desc"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        readonly=True,
        help="Who the request was sent to, or who chose the invoices on the portal.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    line_ids = fields.One2many(
        "otc.payment.request.line", "request_id", string="Documents", readonly=True
    )
    invoice_total = fields.Monetary(readonly=True)
    credit_total = fields.Monetary(string="Credits Deducted", readonly=True)
    amount = fields.Monetary(
        string="Amount to Pay", readonly=True, help="Invoices minus credit notes."
    )
    source = fields.Selection(
        [("collector", "Sent by Collections"), ("portal", "Customer Portal")],
        required=True,
        readonly=True,
        default="collector",
    )
    state = fields.Selection(
        [("open", "Open"), ("paid", "Paid"), ("cancelled", "Cancelled")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    expires_on = fields.Date(
        readonly=True,
        help="Last day the link of the request works (requests sent by email).",
    )
    is_expired = fields.Boolean(compute="_compute_is_expired")
    requested_by_id = fields.Many2one("res.users", readonly=True)
    message = fields.Text(
        string="Message to the Customer",
        help="Shown in the email and on the payment page.",
    )
    sent_on = fields.Datetime(readonly=True)
    opened_on = fields.Datetime(
        string="First Opened", readonly=True, help="When the link was first opened."
    )
    open_count = fields.Integer(string="Times Opened", readonly=True)
    transaction_ids = fields.One2many(
        "payment.transaction",
        "otc_payment_request_id",
        readonly=True,
        groups="base.group_user",
    )
    payment_ids = fields.Many2many(
        "account.payment",
        compute="_compute_payment_ids",
        string="Payments",
        groups="base.group_user",
    )
    link_url = fields.Char(
        string="Payment Link",
        compute="_compute_link_url",
        groups="base.group_user",
        help="Signed link of the request's payment page (emailed to the customer).",
    )

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for request in self:
            request.access_url = f"/my/payment_requests/{request.id}"
        return result

    def _compute_is_expired(self):
        today = fields.Date.context_today(self)
        for request in self:
            request.is_expired = bool(request.expires_on and request.expires_on < today)

    def _compute_link_url(self):
        for request in self:
            request.link_url = request._otc_link() if request.id else False

    @api.depends("transaction_ids.payment_id")
    def _compute_payment_ids(self):
        for request in self:
            request.payment_ids = request.transaction_ids.payment_id

    # ------------------------------------------------------------------
    # Creation from a choice of documents
    # ------------------------------------------------------------------

    @api.model
    def _otc_documents(self, customer, company, currency, move_ids=None):
        """The customer's open invoices and credit notes in ``company`` and
        ``currency`` as allocation-engine documents, and the items by id."""
        rounding = currency.rounding
        items = {
            item.id: item
            for item in customer._otc_portal_open_items(company, move_ids)
            if item.payable and item.currency_id == currency.id
        }
        documents = [
            allocation_engine.Document(
                item.id,
                item.kind,
                item.due_date,
                validation_engine.to_units(abs(item.residual), rounding),
            )
            for item in items.values()
            if not currency.is_zero(item.residual)
        ]
        return documents, items

    @api.model
    def _otc_plan(self, customer, company, currency, selection, total=None):
        """Check ``selection`` ({move id: amount or None}, amounts in currency)
        against the customer's documents as they are now and return the engine
        ``Plan`` (amounts in currency units) and the items by id.

        Raises ``validation.InputError`` for the caller to explain.
        """
        rounding = currency.rounding
        documents, items = self._otc_documents(customer, company, currency)
        busy = [
            items[move_id].name
            for move_id in selection
            if move_id in items and items[move_id].in_payment
        ]
        if busy:
            raise validation_engine.InputError("in_payment", {"names": ", ".join(busy)})
        plan = allocation_engine.allocate(
            documents,
            {
                move_id: None
                if amount is None
                else validation_engine.to_units(amount, rounding)
                for move_id, amount in selection.items()
            },
            None if total is None else validation_engine.to_units(total, rounding),
        )
        return plan, items

    @api.model
    def _otc_create_from_plan(self, customer, company, currency, plan, items, **vals):
        rounding = currency.rounding
        to_amount = validation_engine.from_units
        # Whoever makes the choice does not follow the record: staff follow
        # what they send on purpose, customers read it on the portal.
        return (
            self.sudo()
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "invoice_total": to_amount(plan.invoice_total, rounding),
                    "credit_total": to_amount(plan.credit_total, rounding),
                    "amount": to_amount(plan.charge, rounding),
                    "line_ids": [
                        fields.Command.create(
                            {
                                "sequence": index,
                                "move_id": line.id,
                                "kind": line.kind,
                                "amount": to_amount(line.amount, rounding),
                                "residual": to_amount(line.residual, rounding),
                            }
                        )
                        for index, line in enumerate(plan.lines)
                    ],
                    **vals,
                }
            )
        )

    def _otc_selection(self):
        """The request's documents and amounts, as the engine takes them."""
        self.ensure_one()
        return {line.move_id.id: line.amount for line in self.line_ids}

    def _otc_recheck(self):
        """Check again, before money is taken, that every document is still
        open for at least its amount; ``InputError`` otherwise."""
        self.ensure_one()
        plan, _items = self._otc_plan(
            self.partner_id, self.company_id, self.currency_id, self._otc_selection()
        )
        if (
            validation_engine.to_units(self.amount, self.currency_id.rounding)
            != plan.charge
        ):
            raise validation_engine.InputError("changed")
        return plan

    # ------------------------------------------------------------------
    # Links
    # ------------------------------------------------------------------

    def _otc_signed_token(self):
        """Signed token of the request's link: its id and its random access
        token (cancelling the request or resetting the token revokes it)."""
        self.ensure_one()
        return hash_sign(
            self.env(su=True), TOKEN_SCOPE, [self.id, self._portal_ensure_token()]
        )

    def _otc_check_signed_token(self, token):
        """True when ``token`` is a valid link token of this request."""
        self.ensure_one()
        if not token or not isinstance(token, str) or len(token) > 512:
            return False
        try:
            values = verify_hash_signed(self.env(su=True), TOKEN_SCOPE, token)
        except (ValueError, UnicodeDecodeError, TypeError):
            return False
        if not isinstance(values, list) or len(values) != 2:
            return False
        request = self.sudo()
        return bool(
            values[0] == request.id
            and request.access_token
            and isinstance(values[1], str)
            and consteq(values[1], request.access_token)
        )

    def _otc_link(self):
        self.ensure_one()
        return (
            f"{self.get_base_url()}{self.access_url}?token={self._otc_signed_token()}"
        )

    def _otc_payable_error(self):
        """Why the request cannot be paid now, or None."""
        self.ensure_one()
        if self.state == "paid":
            return self.env._("This payment request has been paid. Thank you!")
        if self.state == "cancelled":
            return self.env._("This payment request has been withdrawn.")
        if self.is_expired:
            return self.env._(
                "This payment request expired on %s. Ask us for a new one, or "
                "log in to your account to pay.",
                self.expires_on,
            )
        return None

    def _otc_log_opened(self):
        """The link was opened: count it, and note the first opening on the
        customer (collectors see that the customer read the request)."""
        for request in self.sudo():
            first = not request.opened_on
            request.write(
                {
                    "opened_on": request.opened_on or fields.Datetime.now(),
                    "open_count": request.open_count + 1,
                }
            )
            if first:
                body = self.env._(
                    "Payment request %(name)s (%(amount)s) opened by the customer.",
                    name=request.name,
                    amount=format_amount(self.env, request.amount, request.currency_id),
                )
                # In the customer's name: the link may be opened logged out.
                author = request.contact_id or request.partner_id
                request.partner_id.sudo().message_post(
                    body=body, subtype_xmlid="mail.mt_note", author_id=author.id
                )
                request.message_post(
                    body=body, subtype_xmlid="mail.mt_note", author_id=author.id
                )

    # ------------------------------------------------------------------
    # Sending, cancelling, payment
    # ------------------------------------------------------------------

    def _otc_send(self):
        """Email the request with its signed link, log it on the customer."""
        template = self.env.ref("otc_portal.mail_template_otc_payment_request")
        for request in self:
            contact = request.contact_id or request.partner_id
            if not contact.email:
                raise UserError(
                    self.env._(
                        "%s has no email address: the payment request cannot be sent.",
                        contact.display_name,
                    )
                )
            request.sudo().sent_on = fields.Datetime.now()
            request.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
                partner_ids=contact.ids,
                message_type="comment",
            )
            request.partner_id._otc_log_note(
                self.env._(
                    "Payment request %(name)s for %(amount)s sent to %(email)s "
                    "(%(count)s documents, valid until %(date)s).",
                    name=request.name,
                    amount=format_amount(self.env, request.amount, request.currency_id),
                    email=contact.email,
                    count=len(request.line_ids),
                    date=request.expires_on,
                ),
                message_type="comment",
            )

    def action_cancel(self):
        self.check_access("write")
        if any(request.state != "open" for request in self):
            raise UserError(self.env._("Only open payment requests can be cancelled."))
        # A new random token: links already sent stop working.
        self.sudo().write({"state": "cancelled", "access_token": False})
        for request in self:
            request.partner_id._otc_log_note(
                self.env._("Payment request %s cancelled.", request.name)
            )
        return True

    def action_copy_link(self):
        """The link, for a collector who sends it another way (chat, phone)."""
        self.ensure_one()
        self.check_access("write")
        if self._otc_payable_error():
            raise UserError(self._otc_payable_error())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Payment link"),
                "message": self._otc_link(),
                "sticky": True,
                "type": "info",
            },
        }

    def _otc_mark_paid(self, transaction):
        for request in self.filtered(lambda r: r.state == "open"):
            request.sudo().state = "paid"
            request.message_post(
                body=Markup("%s")
                % self.env._(
                    "Paid online: transaction %(reference)s, %(amount)s.",
                    reference=transaction.reference,
                    amount=format_amount(
                        self.env, transaction.amount, transaction.currency_id
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )

    @api.constrains("amount", "line_ids")
    def _check_amount(self):
        for request in self:
            if request.currency_id.compare_amounts(request.amount, 0) <= 0:
                raise ValidationError(
                    self.env._("A payment request must ask for a positive amount.")
                )

    @api.autovacuum
    def _gc_abandoned_portal_selections(self):
        """Choices made on the portal and never paid are dropped after a week."""
        limit = fields.Datetime.now() - datetime.timedelta(days=7)
        self.sudo().search(
            [
                ("source", "=", "portal"),
                ("state", "=", "open"),
                ("create_date", "<", limit),
                ("transaction_ids", "=", False),
            ]
        ).unlink()
