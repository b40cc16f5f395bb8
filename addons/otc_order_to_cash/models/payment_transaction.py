from odoo import models

from .sale_order import server_value


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # Paid online by the customer: an order failing the credit check waits
        # for approval instead of being confirmed or silently left as is.
        confirmed = super(
            PaymentTransaction,
            self.with_context(otc_customer_confirmation=server_value()),
        )._check_amount_and_confirm_order()
        return confirmed.filtered(lambda so: so.state == "sale")
