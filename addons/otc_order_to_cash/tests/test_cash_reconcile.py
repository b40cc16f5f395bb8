from contextlib import ExitStack, contextmanager

from odoo.tests import tagged

from .common import OtcCashCommon


@contextmanager
def spy(cls, name):
    """Record the ids each call of ``cls.name`` gets (a list), passing the
    call on; the spy claims the method's module, so that a path checking
    that Odoo's own method is installed still finds it."""
    original = getattr(cls, name)
    calls = []

    def wrapper(records, *args, **kwargs):
        calls.extend(records.ids or [args])
        return original(records, *args, **kwargs)

    wrapper.__module__ = original.__module__
    setattr(cls, name, wrapper)
    try:
        yield calls
    finally:
        setattr(cls, name, original)


@tagged("post_install", "-at_install")
class TestCashReconcile(OtcCashCommon):
    """The set-based reconciliation of an automatic run
    (``account.move.line._otc_reconcile``) leaves what Odoo's
    ``_reconcile_plan`` leaves: partials, full reconciles, matching numbers,
    residuals and the invoices' payment states, case by case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])

    def apply(self, line, invoices, amounts, orm, **extra):
        self.apply_proposal(line, invoices, amounts, orm=orm, **extra)

    def snapshot(self, line, invoices):
        """What the reconciliation left, without ids and moments."""
        items = self.receivable(invoices) | line.move_id.line_ids
        partials = items.matched_debit_ids | items.matched_credit_ids
        position = {
            aml: (int(aml.move_id == line.move_id), aml.balance) for aml in items
        }
        # an earlier payment's counterpart
        for aml in partials.debit_move_id | partials.credit_move_id:
            position.setdefault(aml, (-1, aml.balance))

        def number(aml):
            if not aml.matching_number:
                return None
            return "partial" if aml.matching_number.startswith("P") else "full"

        return {
            "items": sorted(
                (
                    position[aml],
                    aml.amount_residual,
                    aml.amount_residual_currency,
                    aml.reconciled,
                    bool(aml.full_reconcile_id),
                    number(aml),
                )
                for aml in items
            ),
            "partials": sorted(
                (
                    position[partial.debit_move_id],
                    position[partial.credit_move_id],
                    partial.amount,
                    partial.debit_amount_currency,
                    partial.credit_amount_currency,
                    partial.debit_currency_id.name,
                    partial.credit_currency_id.name,
                    partial.company_id.id,
                    partial.max_date,
                    bool(partial.full_reconcile_id),
                    bool(partial.exchange_move_id),
                )
                for partial in partials
            ),
            "invoices": sorted(
                (
                    invoice.amount_residual,
                    invoice.amount_residual_signed,
                    invoice.payment_state,
                    invoice.status_in_payment,
                    invoice.invoice_date_due,
                    invoice.amount_total,
                )
                for invoice in invoices
            ),
            "line": (line.is_reconciled, line.amount_residual),
            # the statement entry's amounts (set-based in the fast path)
            "entry": (
                line.move_id.amount_untaxed,
                line.move_id.amount_tax,
                line.move_id.amount_total,
                line.move_id.amount_residual,
                line.move_id.amount_untaxed_signed,
                line.move_id.amount_untaxed_in_currency_signed,
                line.move_id.amount_tax_signed,
                line.move_id.amount_total_signed,
                line.move_id.amount_residual_signed,
                line.move_id.amount_total_in_currency_signed,
                line.move_id.payment_state,
            ),
        }

    def assert_same(self, build, amounts, **extra):
        """Run the same case both ways; returns the fast snapshot."""
        results = []
        for orm in (False, True):
            line, invoices = build()
            self.apply(line, invoices, amounts, orm, **extra)
            results.append(self.snapshot(line, invoices))
        self.assertEqual(results[0], results[1])
        return results[0]

    def paid_in_eur(self, paid, amount_currency):
        """A case: an invoice of 300 EUR and a line of ``paid`` in company
        currency for ``amount_currency`` EUR."""

        def build():
            invoice = self.make_invoice(
                self.rossi, 300.0, days_ago=10, currency=self.eur
            )
            line = self.make_line(
                paid,
                label=invoice.name,
                foreign_currency=self.eur,
                amount_currency=amount_currency,
            )
            return line, invoice

        return build

    def test_exact_payment(self):
        def build():
            invoice = self.make_invoice(self.rossi, 500.0, days_ago=10)
            return self.make_line(500.0, label=invoice.name), invoice

        result = self.assert_same(build, [500.0])
        self.assertEqual(result["invoices"][0][2], "paid")
        self.assertIn("full", [item[5] for item in result["items"]])

    def test_partial_payment(self):
        def build():
            invoice = self.make_invoice(self.rossi, 800.0, days_ago=10)
            return self.make_line(300.0, label=invoice.name), invoice

        result = self.assert_same(build, [300.0], kind="partial")
        self.assertEqual(result["invoices"][0][2], "partial")
        self.assertEqual(result["invoices"][0][0], 500.0)

    def test_several_invoices_and_fee(self):
        def build():
            first = self.make_invoice(self.rossi, 400.0, days_ago=20)
            second = self.make_invoice(self.rossi, 250.0, days_ago=10)
            return self.make_line(647.0, label="two invoices"), first | second

        result = self.assert_same(build, [400.0, 250.0], kind="fee", writeoff=3.0)
        self.assertEqual([row[2] for row in result["invoices"]], ["paid", "paid"])

    def test_overpayment_left_as_credit(self):
        def build():
            invoice = self.make_invoice(self.rossi, 200.0, days_ago=10)
            return self.make_line(260.0, label=invoice.name), invoice

        self.assert_same(build, [200.0], kind="overpayment", credit=60.0)

    def test_invoice_already_partly_paid(self):
        """Odoo's own path (an earlier partial): same result either way."""

        def build():
            invoice = self.make_invoice(self.rossi, 600.0, days_ago=10)
            earlier = self.make_line(100.0, label=invoice.name)
            self.apply(earlier, invoice, [100.0], orm=True, kind="partial")
            return self.make_line(500.0, label=invoice.name), invoice

        result = self.assert_same(build, [500.0])
        self.assertEqual(result["invoices"][0][2], "paid")

    def test_foreign_currency_invoice(self):
        """Paid in full in its currency at its booking value: the pair
        settles whole in both currencies (the set-based path)."""
        build = self.paid_in_eur(150.0, 300.0)
        self.assert_same(build, [300.0], currency="EUR")

    def test_foreign_currency_paid_in_company_currency(self):
        """Its value paid in company currency: the counterpart in the
        invoice's currency at its booking rate settles it whole."""

        def build():
            invoice = self.make_invoice(
                self.rossi, 300.0, days_ago=10, currency=self.eur
            )
            return self.make_line(150.0, label=invoice.name), invoice

        result = self.assert_same(build, [150.0], kind="exact")
        self.assertEqual(result["invoices"][0][:3], (0.0, 0.0, "paid"))
        # liquidity 150 is the entry's only debit item
        self.assertEqual(result["entry"][2], 150.0)

    def test_foreign_currency_loss_is_a_debit_item(self):
        """Paid in full in its currency, worth less today: the exchange loss
        is a debit item of the entry, counted in its total."""
        build = self.paid_in_eur(140.0, 300.0)
        result = self.assert_same(build, [300.0], kind="exact", currency="EUR")
        self.assertEqual(result["invoices"][0][:3], (0.0, 0.0, "paid"))
        self.assertEqual(result["entry"][2], 150.0)

    def test_foreign_currency_partial_payment(self):
        """Part of a foreign-currency invoice: Odoo's own path."""
        build = self.paid_in_eur(60.0, 120.0)
        result = self.assert_same(build, [120.0], kind="partial", currency="EUR")
        self.assertEqual(result["invoices"][0][:3], (180.0, 90.0, "partial"))

    def assert_skips_recomputation(self, invoice, line, amounts, **extra):
        """Applied through the simple path: no ``_reconcile_plan``, and
        neither the paid invoice's due date, amounts and payment state nor
        the statement entry's amounts are computed again (they follow from
        the payment)."""
        self.env.flush_all()
        AML = type(self.env["account.move.line"])
        Move = type(self.env["account.move"])
        with ExitStack() as stack:
            calls = stack.enter_context(spy(AML, "_reconcile_plan"))
            due_dates = stack.enter_context(spy(Move, "_compute_invoice_date_due"))
            # spies, not overrides: the set-based path checks that Odoo's
            # own computations are the ones installed
            states = stack.enter_context(spy(Move, "_compute_payment_state"))
            amounts_of = stack.enter_context(spy(Move, "_compute_amount"))
            self.apply(line, invoice, amounts, orm=False, **extra)
        self.assertFalse(calls)
        self.assertNotIn(invoice.id, due_dates)
        self.assertNotIn(invoice.id, states)
        self.assertNotIn(invoice.id, amounts_of)
        self.assertNotIn(line.move_id.id, amounts_of)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "paid")

    def test_simple_pairs_skip_reconcile_plan(self):
        invoice = self.make_invoice(self.rossi, 500.0, days_ago=10)
        line = self.make_line(500.0, label=invoice.name)
        self.assert_skips_recomputation(invoice, line, [500.0])
        self.assertEqual(line.move_id.amount_total, 500.0)

    def test_foreign_currency_pairs_skip_reconcile_plan(self):
        line, invoice = self.paid_in_eur(140.0, 300.0)()
        self.assert_skips_recomputation(invoice, line, [300.0], currency="EUR")
        self.assertEqual(invoice.amount_residual, 0.0)
        # liquidity 140 and the exchange loss 10
        self.assertEqual(line.move_id.amount_total, 150.0)
