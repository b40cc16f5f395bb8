from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import validation as validation_engine


class OtcPaymentRequestWizard(models.TransientModel):
    """*Request Payment*: email a customer a link to pay chosen documents.

    Opened from a customer, a worklist line or selected invoices. The link
    opens the portal payment page with these documents preselected, works
    without logging in until it expires, and gives access to nothing else.
    """

    _name = "otc.payment.request.wizard"
    _description = "Request Payment"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        help="One request per currency: the documents are paid in one transaction.",
    )
    available_currency_ids = fields.Many2many(
        "res.currency", compute="_compute_available_currency_ids"
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Documents",
        domain="[('commercial_partner_id', '=', partner_id),"
        " ('company_id', '=', company_id), ('currency_id', '=', currency_id),"
        " ('state', '=', 'posted'),"
        " ('move_type', 'in', ('out_invoice', 'out_receipt', 'out_refund')),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
        help="Open invoices to pay, and credit notes to deduct.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Send to",
        required=True,
        domain="[('commercial_partner_id', '=', partner_id), ('email', '!=', False)]",
    )
    validity_days = fields.Integer(
        string="Valid for (days)",
        required=True,
        default=lambda self: self.env.company.otc_portal_request_validity,
    )
    message = fields.Text(string="Message to the Customer")
    amount = fields.Monetary(compute="_compute_amount", string="Amount to Pay")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        model, ids = context.get("active_model"), context.get("active_ids") or []
        if not ids and context.get("active_id"):
            ids = [context["active_id"]]
        company = self.env.company
        partner = self.env["res.partner"]
        moves = self.env["account.move"]
        if model == "account.move" and ids:
            moves = self.env["account.move"].browse(ids)
            partner = moves.commercial_partner_id
            company = moves.company_id
            if len(partner) != 1 or len(company) != 1:
                raise UserError(
                    self.env._(
                        "Choose documents of one customer in one company: a payment "
                        "request is paid in one transaction."
                    )
                )
            if len(moves.currency_id) != 1:
                raise UserError(
                    self.env._(
                        "Choose documents in one currency: send one request per "
                        "currency."
                    )
                )
            wrong = moves.filtered(
                lambda m: (
                    m.state != "posted"
                    or m.move_type not in ("out_invoice", "out_receipt", "out_refund")
                    or m.payment_state not in ("not_paid", "partial")
                )
            )
            if wrong:
                raise UserError(
                    self.env._(
                        "Only open customer invoices and credit notes can be "
                        "requested: %s",
                        ", ".join(wrong.mapped("display_name")),
                    )
                )
        elif model == "otc.worklist" and ids:
            line = self.env["otc.worklist"].browse(ids[:1])
            partner, company = line.partner_id, line.company_id
        elif model == "res.partner" and ids:
            partner = self.env["res.partner"].browse(ids[:1]).commercial_partner_id
        if not partner:
            return values
        currency = moves.currency_id or company.currency_id
        if not moves:
            moves = self._open_moves(partner, company, currency)
        values.update(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": currency.id,
                "move_ids": [fields.Command.set(moves.ids)],
                "contact_id": self._default_contact(partner).id,
                "validity_days": company.otc_portal_request_validity,
            }
        )
        return values

    @api.model
    def _open_moves(self, partner, company, currency):
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("currency_id", "=", currency.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_receipt", "out_refund")),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
        )

    @api.model
    def _default_contact(self, partner):
        """The invoicing contact with an email, else the customer."""
        invoice_contact = partner.child_ids.filtered(
            lambda c: c.type == "invoice" and c.email
        )[:1]
        return invoice_contact or partner

    @api.depends("partner_id", "company_id")
    def _compute_available_currency_ids(self):
        for wizard in self:
            wizard.available_currency_ids = (
                self.env["account.move"]
                .search(
                    [
                        ("commercial_partner_id", "=", wizard.partner_id.id),
                        ("company_id", "=", wizard.company_id.id),
                        ("state", "=", "posted"),
                        (
                            "move_type",
                            "in",
                            ("out_invoice", "out_receipt", "out_refund"),
                        ),
                        ("payment_state", "in", ("not_paid", "partial")),
                    ]
                )
                .currency_id
            )

    @api.onchange("currency_id")
    def _onchange_currency_id(self):
        if self.move_ids.currency_id != self.currency_id:
            self.move_ids = self._open_moves(
                self.partner_id, self.company_id, self.currency_id
            )

    @api.depends("move_ids", "currency_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = sum(
                move.amount_residual * (-1 if move.move_type == "out_refund" else 1)
                for move in wizard.move_ids
            )

    def action_send(self):
        self.ensure_one()
        if not self.move_ids:
            raise UserError(self.env._("Choose the documents to pay."))
        if self.validity_days < 1:
            raise UserError(
                self.env._("A payment request must be valid for at least a day.")
            )
        if not self.contact_id.email:
            raise UserError(
                self.env._(
                    "%s has no email address: the payment request cannot be sent.",
                    self.contact_id.display_name,
                )
            )
        Request = self.env["otc.payment.request"]
        try:
            plan, items = Request._otc_plan(
                self.partner_id,
                self.company_id,
                self.currency_id,
                dict.fromkeys(self.move_ids.ids),
            )
        except validation_engine.InputError as error:
            raise UserError(self._error_message(error)) from error
        request = Request._otc_create_from_plan(
            self.partner_id,
            self.company_id,
            self.currency_id,
            plan,
            items,
            source="collector",
            contact_id=self.contact_id.id,
            requested_by_id=self.env.uid,
            message=self.message,
            expires_on=fields.Date.context_today(self)
            + timedelta(days=self.validity_days),
        )
        request._otc_send()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Payment request %(name)s sent to %(email)s.",
                    name=request.name,
                    email=self.contact_id.email,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _error_message(self, error):
        if error.code == "in_payment":
            return self.env._(
                "A payment of %s is already in progress.", error.params.get("names")
            )
        if error.code == "not_open":
            return self.env._(
                "Some documents are no longer open (paid or cancelled in the "
                "meantime): choose again."
            )
        if error.code == "no_invoice":
            return self.env._("Choose at least one invoice; credit notes are deducted.")
        if error.code == "nothing_to_pay":
            return self.env._(
                "The credit notes cover the invoices: there is nothing to pay."
            )
        return self.env._("These documents cannot be requested together.")
