from markupsafe import Markup

from odoo import fields, models
from odoo.tools import format_amount

from ..engine import allocation as allocation_engine


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    otc_payment_request_id = fields.Many2one(
        "otc.payment.request",
        string="Payment Request",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )

    def _create_payment(self, **extra_create_values):
        """One payment settling exactly the amounts chosen on the portal.

        Odoo reconciles a transaction's payment with all its invoices at once,
        oldest due date first, until the money runs out. A customer may have
        chosen another amount per invoice and deducted credit notes, so the
        payment gets one receivable line per document (a credit line of the
        amount paid on each invoice, a debit line per credit note; the
        provider's amount on the liquidity line) and each line is reconciled
        with its own document: every document keeps exactly ``residual -
        amount`` open. A document paid in between (it cannot be reconciled
        any more) leaves its share as the customer's credit on the payment.
        """
        self.ensure_one()
        request = self.otc_payment_request_id
        if (
            not request
            or self.operation in ("refund", "validation")
            or self.source_transaction_id
            or self.currency_id != request.currency_id
            or self.currency_id.compare_amounts(self.amount, request.amount) != 0
        ):
            return super()._create_payment(**extra_create_values)

        lines = request.line_ids.filtered(lambda line: line.move_id.state == "posted")
        invoice_lines = lines.filtered(
            lambda line: line.kind == allocation_engine.INVOICE
        )
        if not invoice_lines:
            return super()._create_payment(**extra_create_values)
        company = self.provider_id.company_id
        currency = self.currency_id
        date = fields.Date.context_today(self)

        def receivable_of(move):
            return move.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )

        # The first invoice takes the payment's own counterpart line; the
        # others and the credit notes are extra receivable lines.
        first, *others = invoice_lines
        extra = []
        labels = {}
        for line in [*others, *(lines - invoice_lines)]:
            sign = -1 if line.kind == allocation_engine.INVOICE else 1
            amount_currency = sign * line.amount
            label = f"{request.name} - {line.move_id.name}"
            labels[label] = line.move_id
            extra.append(
                {
                    "name": label,
                    "account_id": receivable_of(line.move_id)[:1].account_id.id,
                    "partner_id": self.partner_id.commercial_partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": amount_currency,
                    "balance": currency._convert(
                        amount_currency, company.currency_id, company, date
                    ),
                }
            )
        payment_method_line = (
            self.provider_id.journal_id.inbound_payment_method_line_ids.filtered(
                lambda pml: pml.payment_provider_id == self.provider_id
            )
        )
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "amount": self.amount,
                    "payment_type": "inbound",
                    "currency_id": currency.id,
                    "partner_id": self.partner_id.commercial_partner_id.id,
                    "partner_type": "customer",
                    "journal_id": self.provider_id.journal_id.id,
                    "company_id": company.id,
                    "payment_method_line_id": payment_method_line.id,
                    "payment_token_id": self.token_id.id,
                    "payment_transaction_id": self.id,
                    "memo": f"{self.reference} - {self.partner_id.display_name or ''}"
                    f" - {self.provider_reference or ''}",
                    "destination_account_id": receivable_of(first.move_id)[
                        :1
                    ].account_id.id,
                    "write_off_line_vals": extra,
                    "invoice_ids": [fields.Command.set(lines.move_id.ids)],
                    **extra_create_values,
                }
            )
        )
        payment.action_post()
        self.payment_id = payment

        plan = []
        unsettled = self.env["account.move"]
        for pay_line in payment.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        ):
            document = labels.get(pay_line.name, first.move_id)
            open_lines = receivable_of(document).filtered(
                lambda aml, pl=pay_line: (
                    not aml.reconciled and aml.account_id == pl.account_id
                )
            )
            if open_lines:
                plan.append(pay_line + open_lines)
            else:
                unsettled |= document
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)
        if unsettled:
            payment.message_post(
                body=self.env._(
                    "Already settled when the payment arrived, their share stays as "
                    "the customer's credit: %s",
                    ", ".join(unsettled.mapped("name")),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return payment

    def _post_process(self):
        result = super()._post_process()
        for tx in self.filtered(
            lambda t: t.state == "done" and t.otc_payment_request_id and t.payment_id
        ):
            tx.otc_payment_request_id._otc_mark_paid(tx)
        for tx in self.filtered(
            lambda t: t.state in ("cancel", "error") and t.otc_payment_request_id
        ):
            tx.otc_payment_request_id.message_post(
                body=Markup("%s")
                % self.env._(
                    "Online payment %(reference)s of %(amount)s not completed "
                    "(%(state)s): the documents stay open.",
                    reference=tx.reference,
                    amount=format_amount(self.env, tx.amount, tx.currency_id),
                    state=dict(tx._fields["state"]._description_selection(self.env))[
                        tx.state
                    ],
                ),
                subtype_xmlid="mail.mt_note",
            )
        return result
