from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCashAccept(OtcCashCommon):
    """Accepting a candidate applies what the invoices say now: the discount
    Odoo's terms grant at the payment date, a write-off within the limit
    (with the discount: both within it), never the amounts stored on it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls.env["account.payment.term"].create(
            {
                "name": "2/10 net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "early_pay_discount_computation": "included",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 30}
                    )
                ],
            }
        )

    def discounted_invoice(self, amount, days_ago=0):
        invoice = self.make_invoice(self.dupont, amount, days_ago=days_ago, post=False)
        invoice.invoice_payment_term_id = self.term
        invoice.action_post()
        return invoice

    def candidate(self, line, invoice, amount, discount=0.0, writeoff=0.0):
        """A candidate with the given stored amounts (the matcher's record)."""
        item = self.receivable(invoice)
        return (
            self.env["otc.cash.suggestion"]
            .sudo()
            .create(
                {
                    "statement_line_id": line.id,
                    "partner_id": self.dupont.id,
                    "kind": "discount" if discount else "fee",
                    "score": 80.0,
                    "currency_id": self.company.currency_id.id,
                    "move_line_ids": [Command.set(item.ids)],
                    "allocation": [[item.id, amount]],
                    "amount": amount,
                    "discount": discount,
                    "writeoff": writeoff,
                }
            )
            .with_user(self.clerk)
        )

    def booked(self, line, account):
        return sum(
            line.move_id.line_ids.filtered(lambda a: a.account_id == account).mapped(
                "balance"
            )
        )

    def test_stored_discount_is_not_trusted(self):
        # the case: a 96.67 receipt stored as closing a 41,750.00
        # invoice with 41,653.33 of "early-payment discount"
        invoice = self.discounted_invoice(41750.0)
        line = self.make_line(96.67, label="payment")
        candidate = self.candidate(line, invoice, 41750.0, discount=41653.33)
        with self.assertRaisesRegex(UserError, "write-off limit"):
            candidate.action_accept()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_discount_granted_by_the_terms_at_the_payment_date(self):
        invoice = self.discounted_invoice(1000.0)
        line = self.make_line(980.0, label="payment")
        # stored discount too small: the terms' 20.00 is applied
        self.candidate(
            line, invoice, 1000.0, discount=5.0, writeoff=15.0
        ).action_accept()
        self.assertEqual(invoice.payment_state, "paid")
        discount_account = (
            self.company.account_journal_early_pay_discount_loss_account_id
        )
        self.assertAlmostEqual(self.booked(line, discount_account), 20.0)
        self.assertAlmostEqual(self.booked(line, self.writeoff_account), 0.0)
        applied = line.otc_applied_suggestion_id
        self.assertEqual((applied.discount, applied.writeoff), (20.0, 0.0))

    def test_late_payment_gets_no_discount(self):
        invoice = self.discounted_invoice(1000.0, days_ago=30)
        line = self.make_line(980.0, label="payment")
        with self.assertRaisesRegex(UserError, "write-off limit"):
            self.candidate(line, invoice, 1000.0, discount=20.0).action_accept()
        # a small difference is a write-off within the limit, not a discount
        small = self.discounted_invoice(100.0, days_ago=30)
        line = self.make_line(98.0, label="payment")
        self.candidate(line, small, 100.0, discount=2.0).action_accept()
        self.assertEqual(small.payment_state, "paid")
        self.assertAlmostEqual(self.booked(line, self.writeoff_account), 2.0)

    def test_discount_and_writeoff_together_within_the_limit(self):
        invoice = self.discounted_invoice(1000.0)
        line = self.make_line(975.0, label="payment")
        self.candidate(line, invoice, 1000.0, discount=25.0).action_accept()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertAlmostEqual(self.booked(line, self.writeoff_account), 5.0)
        other = self.discounted_invoice(1000.0)
        line = self.make_line(965.0, label="payment")
        with self.assertRaisesRegex(UserError, "write-off limit"):
            self.candidate(line, other, 1000.0, discount=35.0).action_accept()

    def test_writeoff_within_the_limit(self):
        invoice = self.make_invoice(self.dupont, 500.0)
        line = self.make_line(480.0, label="payment")
        with self.assertRaisesRegex(UserError, "write-off limit"):
            self.candidate(line, invoice, 500.0, writeoff=20.0).action_accept()
        line = self.make_line(496.5, label="payment")
        self.candidate(line, invoice, 500.0, writeoff=3.5).action_accept()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertAlmostEqual(self.booked(line, self.writeoff_account), 3.5)
