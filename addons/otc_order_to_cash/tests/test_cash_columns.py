from odoo.tests import tagged

from ..tools.columns import account_computes, store_computed
from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestStoreComputed(OtcCashCommon):
    """``tools.columns.store_computed`` writes computed values as the ORM's
    flush writes them: rounded to their currency, with the write user and
    date, in the cache as flushed."""

    def row(self, move):
        self.env.cr.execute(
            "SELECT amount_residual, payment_state, write_uid, write_date"
            " FROM account_move WHERE id = %s",
            [move.id],
        )
        return self.env.cr.fetchone()

    def test_written_as_the_flush_writes_them(self):
        invoice = self.make_invoice(self.rossi, 100.0, days_ago=5)
        other = self.make_invoice(self.dupont, 80.0, days_ago=5)
        self.env.flush_all()
        moves = invoice | other
        store_computed(
            moves,
            {
                "amount_residual": [33.333333, 0.004],
                "payment_state": ["partial", "paid"],
            },
        )
        residual, state, uid, write_date = self.row(invoice)
        self.assertEqual(float(residual), 33.33)
        self.assertEqual(state, "partial")
        self.assertEqual(uid, self.env.uid)
        self.assertEqual(write_date, self.env.cr.now())
        self.assertEqual(float(self.row(other)[0]), 0.0)
        # the cache holds what a read gives back
        self.assertEqual(invoice.amount_residual, 33.33)
        self.assertEqual(other.payment_state, "paid")
        self.assertFalse(self.env.cache.has_dirty_fields(moves))

    def test_a_dirty_value_is_flushed_with_the_new_one(self):
        invoice = self.make_invoice(self.rossi, 100.0, days_ago=5)
        self.env.flush_all()
        field = invoice._fields["amount_residual"]
        self.env.cache.update(invoice, field, [50.0], dirty=True)
        with self.assertNoLogs("odoo.api", level="ERROR"):
            store_computed(invoice, {"amount_residual": [40.0]})
        self.assertEqual(invoice.amount_residual, 40.0)
        self.env.flush_all()
        self.assertEqual(float(self.row(invoice)[0]), 40.0)

    def test_account_computes_names_accounts_own_methods(self):
        Move = self.env["account.move"]
        self.assertTrue(account_computes(Move, "_compute_amount"))
        self.assertTrue(
            account_computes(self.env["account.bank.statement.line"], "_seek_for_lines")
        )
        # a method another module defines is not account's
        self.assertFalse(account_computes(Move, "_compute_amount", "search"))
