from markupsafe import Markup

from odoo import Command, fields, models

from .sale_order import server_value


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    otc_refund_credit_note_id = fields.Many2one(
        "account.move",
        string="Credit Note Refunded",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="The return's credit note this refund pays back: its payment "
        "settles it when the provider confirms the refund.",
    )

    def _check_amount_and_confirm_order(self):
        # Paid online by the customer: an order failing the credit check waits
        # for approval instead of being confirmed or silently left as is.
        confirmed = super(
            PaymentTransaction,
            self.with_context(otc_customer_confirmation=server_value()),
        )._check_amount_and_confirm_order()
        return confirmed.filtered(lambda so: so.state == "sale")

    def _create_payment(self, **extra_create_values):
        """A refund of a return's credit note, confirmed by the provider now or
        later: its payment settles the credit note and is the return's."""
        payment = super()._create_payment(**extra_create_values)
        note = self.sudo().otc_refund_credit_note_id
        ret = note.otc_return_id
        if ret:
            ret._otc_match_refund(note, payment)
            ret._otc_set({"refund_payment_ids": [Command.link(payment.id)]})
            ret.message_post(
                body=Markup("%s")
                % self.env._(
                    "Refund %(ref)s confirmed by %(provider)s: %(payment)s.",
                    ref=self.reference,
                    provider=self.provider_id.name,
                    payment=payment._get_html_link(),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return payment
