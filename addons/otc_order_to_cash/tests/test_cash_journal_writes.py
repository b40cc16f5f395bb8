from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OtcCashCommon

# columns that name a record or a moment, not what was booked
IDENTITY = {
    "id",
    "move_id",
    "move_name",
    "name",
    "ref",
    "create_date",
    "write_date",
    "matching_number",
    "full_reconcile_id",
    "statement_line_id",
    "statement_id",
    "sequence",
    "date_maturity",
}


@tagged("post_install", "-at_install")
class TestCashJournalWrites(OtcCashCommon):
    """Journal items written by cash application go through Odoo's guards:
    locked periods and secured (hashed) entries are refused as
    ``account.move.line.write`` refuses them, and the fast path writes the
    same rows as the ORM."""

    def rows(self, table, domain_column, ids):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE {domain_column} = ANY(%s) ORDER BY id",  # noqa: S608
            [list(ids)],
        )
        names = [d.name for d in self.env.cr.description]
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    def booked(self, line):
        """The line's journal items, what they book (identity columns out)."""
        rows = self.rows("account_move_line", "move_id", line.move_id.ids)
        return sorted(
            (
                tuple(sorted((k, v) for k, v in row.items() if k not in IDENTITY))
                for row in rows
            ),
            key=repr,
        )

    def match_both_ways(self, amount):
        """Two equal invoices of Rossi and two lines paying them, one
        matched by an automatic run, the other through the ORM (a person);
        returns the lines and the invoices, the rows compared both ways
        (``assert_same_rows``: the statement lines' too)."""
        first = self.make_invoice(self.rossi, amount, days_ago=30)
        second = self.make_invoice(self.rossi, amount, days_ago=30)
        fast = self.make_line(amount, label=f"Payment {first.name}")
        orm = self.make_line(amount, label=f"Payment {second.name}")
        fast._otc_match_lines()
        orm.with_context(otc_orm_writes=True)._otc_match_lines()
        self.assert_same_rows(fast, orm)
        return fast, orm, first, second

    def test_rows_equal_an_orm_write(self):
        bank = self.env["res.partner.bank"].create(
            {"acc_number": "IT60X0542811101000000123456", "partner_id": self.rossi.id}
        )
        fast, orm, first, second = self.match_both_ways(500.0)
        self.assert_paid_by(fast, first)
        self.assert_paid_by(orm, second)
        moves = {
            line: self.rows("account_move", "id", line.move_id.ids)[0]
            for line in (fast, orm)
        }
        self.assertEqual(moves[fast]["commercial_partner_id"], self.rossi.id)
        self.assertEqual(moves[fast]["partner_bank_id"], bank.id)

    def apply_both_ways(self, build, amounts, **extra):
        """Apply the same proposal to two equal lines, the automatic run's
        way and the ORM's (a person applying it); returns both lines."""
        lines = []
        for orm in (False, True):
            line, invoices = build()
            self.apply_proposal(line, invoices, amounts, orm=orm, **extra)
            lines.append(line)
        return lines

    def assert_same_rows(self, fast, orm):
        self.assertEqual(self.booked(fast), self.booked(orm))
        identity = {
            "id",
            "name",
            "ref",
            "payment_reference",
            "create_date",
            "write_date",
            "sequence_number",
            "statement_line_id",
            "message_main_attachment_id",
        }
        rows = [
            self.rows("account_move", "id", line.move_id.ids)[0] for line in (fast, orm)
        ]
        for column in set(rows[0]) - identity:
            self.assertEqual(rows[0][column], rows[1][column], column)
        statement_rows = [
            self.rows("account_bank_statement_line", "id", line.ids)[0]
            for line in (fast, orm)
        ]
        for column in ("partner_id", "is_reconciled", "amount_residual"):
            self.assertEqual(
                statement_rows[0][column], statement_rows[1][column], column
            )

    def test_rows_with_every_kind_of_counterpart(self):
        """Several invoices, a fee written off, a customer credit, a foreign
        currency invoice with its exchange difference: the fast path books
        the rows Odoo's ORM books."""
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])

        def fee():
            invoices = self.make_invoice(self.rossi, 400.0, days_ago=20)
            invoices |= self.make_invoice(self.rossi, 250.0, days_ago=10)
            return self.make_line(647.0, label="two invoices"), invoices

        def credit():
            invoice = self.make_invoice(self.rossi, 200.0, days_ago=10)
            return self.make_line(260.0, label=invoice.name), invoice

        def exchange():
            invoice = self.make_invoice(self.rossi, 300.0, days_ago=10, currency=eur)
            line = self.make_line(
                140.0, label=invoice.name, foreign_currency=eur, amount_currency=300.0
            )
            return line, invoice

        for build, amounts, extra in (
            (fee, [400.0, 250.0], {"kind": "fee", "writeoff": 3.0}),
            (credit, [200.0], {"kind": "overpayment", "credit": 60.0}),
            (exchange, [300.0], {"currency": "EUR"}),
        ):
            with self.subTest(build.__name__):
                fast, orm = self.apply_both_ways(build, amounts, **extra)
                self.assertTrue(fast.is_reconciled)
                self.assertGreater(len(fast.move_id.line_ids), 2)
                self.assert_same_rows(fast, orm)

    def test_entry_partner_bank_account_as_the_orm_picks_it(self):
        """The entry's bank account is the one Odoo's computation picks:
        active, the trusted ones first, then by sequence; the partner's name
        as Odoo shows it."""
        Bank = self.env["res.partner.bank"]
        # who may trust a bank account
        self.env.user.groups_id |= self.env.ref("account.group_validate_bank_account")
        for number, sequence, trusted, active in (
            ("IT60X0542811101000000000001", 1, False, True),
            ("IT60X0542811101000000000002", 2, True, False),
            ("IT60X0542811101000000000004", 4, True, True),
            ("IT60X0542811101000000000005", 5, True, True),
        ):
            bank = Bank.create(
                {
                    "acc_number": number,
                    "partner_id": self.rossi.id,
                    "sequence": sequence,
                }
            )
            # new accounts are created untrusted: trusted afterwards
            bank.write({"allow_out_payment": trusted, "active": active})
        fast, _orm, _first, _second = self.match_both_ways(410.0)
        self.assertEqual(
            fast.move_id.partner_bank_id.acc_number, "IT60X0542811101000000000004"
        )
        self.assertEqual(
            fast.move_id.invoice_partner_display_name, self.rossi.display_name
        )

    def test_line_still_to_check(self):
        """A line whose entry is still to check keeps its whole amount as
        residual once reconciled, as Odoo computes it."""

        def build():
            invoice = self.make_invoice(self.rossi, 275.0, days_ago=10)
            line = self.make_line(275.0, label=invoice.name)
            line.move_id.checked = False
            return line, invoice

        fast, orm = self.apply_both_ways(build, [275.0])
        self.assert_same_rows(fast, orm)
        self.assertTrue(fast.is_reconciled)
        self.assertEqual(fast.amount_residual, -275.0)

    def test_seek_lines_as_odoo_splits_them(self):
        """``_otc_seek_lines`` splits each line's items as ``_seek_for_lines``
        does: a line to match, an applied one with several counterparts, and
        a line whose journal's liquidity account changed since (Odoo then
        takes the items on a cash account)."""
        invoices = self.make_invoice(self.rossi, 400.0, days_ago=20)
        invoices |= self.make_invoice(self.rossi, 250.0, days_ago=10)
        applied = self.make_line(647.0, label="two invoices")
        self.apply_proposal(applied, invoices, [400.0, 250.0], kind="fee", writeoff=3.0)
        waiting = self.make_line(120.0, label="nothing yet")
        journal = self.bank_journal.copy({"name": "OTC Moved Bank", "code": "OTCMB"})
        moved = self.make_line(80.0, label="moved", journal=journal)
        journal.default_account_id = self.company_data[
            "default_journal_cash"
        ].default_account_id
        lines = applied | waiting | moved
        self.env.invalidate_all()
        expected = {line.id: line._seek_for_lines() for line in lines}
        self.env.invalidate_all()
        self.assertEqual(lines._otc_seek_lines(), expected)
        self.assertTrue(expected[moved.id][0])
        self.assertEqual(len(expected[applied.id][2]), 3)

    def test_line_in_a_locked_period_is_refused(self):
        invoice = self.make_invoice(self.rossi, 300.0, days_ago=60)
        line = self.make_line(
            300.0, label=f"Payment {invoice.name}", date=self.today - timedelta(40)
        )
        suspense_before = self.booked(line)
        # Odoo refuses a lock date over unreconciled statement lines, but a
        # line can still end up there (posted under a lock date exception
        # that has expired since): set the date as it stands then
        self.lock(self.today - timedelta(10))
        # automatic: the line is left for review, its entry untouched
        line._otc_match_lines()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.otc_match_state, "suggested")
        self.assertEqual(self.booked(line), suspense_before)
        # by hand: Odoo's lock date message
        with self.assertRaisesRegex(UserError, "prior to and inclusive of"):
            line.otc_suggestion_ids[:1].with_user(self.clerk).action_accept()
        self.assertEqual(self.booked(line), suspense_before)
        self.assertEqual(invoice.payment_state, "not_paid")

    def lock(self, date):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_company SET fiscalyear_lock_date = %s WHERE id = %s",
            [date, self.company.id],
        )
        self.env.invalidate_all()

    def secure(self, line):
        """Hash the line's entry as Odoo's "Secure Entries" would have.

        Odoo hashes reconciled statement entries only (it refuses to secure
        an unreconciled one), so this state is reached only by hand.
        """
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET inalterable_hash = 'secured' WHERE id = %s",
            [line.move_id.id],
        )
        line.move_id.invalidate_recordset(["inalterable_hash"])
        self.assertTrue(line.move_id.inalterable_hash)

    def test_line_on_a_secured_journal_is_refused(self):
        invoice = self.make_invoice(self.rossi, 250.0, days_ago=5)
        line = self.make_line(250.0, label=f"Payment {invoice.name}")
        self.secure(line)
        suspense_before = self.booked(line)
        line._otc_match_lines()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.otc_match_state, "suggested")
        self.assertEqual(self.booked(line), suspense_before)
        with self.assertRaisesRegex(UserError, "secured"):
            line.otc_suggestion_ids[:1].with_user(self.clerk).action_accept()
        self.assertEqual(self.booked(line), suspense_before)

    def test_guard_refuses_what_odoo_refuses(self):
        """The fast path's checks are Odoo's own: a hashed entry's items."""
        line = self.make_line(80.0, label="x")
        self.secure(line)
        suspense = line._seek_for_lines()[1]
        Line = self.env["account.bank.statement.line"]
        with self.assertRaises(UserError):
            suspense.write({"partner_id": self.rossi.id})
        with self.assertRaises(UserError):
            Line._otc_guard_item_writes(suspense, ["partner_id"], ())
