from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCashMatching(OtcCashCommon):
    """Each signal and amount case of the matcher, applied through Odoo's
    reconciliation."""

    def match(self, *lines):
        lines = self.env["account.bank.statement.line"].union(*lines)
        return lines._otc_match_lines()

    def reason_codes(self, line):
        suggestion = line.otc_applied_suggestion_id or line.otc_suggestion_ids[:1]
        return {code for code, _args, _text, _c in suggestion.reason_data}

    # references ----------------------------------------------------------------

    def test_invoice_number_exact_amount(self):
        invoice = self.make_invoice(self.mueller, 1234.56)
        other = self.make_invoice(self.mueller, 1234.56)
        line = self.make_line(1234.56, label=f"Payment {invoice.name} thank you")
        self.assertEqual(line.otc_match_state, "todo")
        stats = self.match(line)
        self.assertEqual(stats["auto"], 1)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(other.payment_state, "not_paid")
        self.assertIn("invoice_number", self.reason_codes(line))
        self.assertIn("amount_exact", self.reason_codes(line))
        # the same journal items a manual reconciliation makes: liquidity +
        # one receivable counterpart, no suspense item left
        move_lines = line.move_id.line_ids
        self.assertEqual(len(move_lines), 2)
        self.assertNotIn(self.bank_journal.suspense_account_id, move_lines.account_id)
        self.assertEqual(line.partner_id, self.mueller)
        self.assertIn("invoice number found", line.otc_applied_suggestion_id.reasons)

    def test_invoice_number_typo_and_missing_separators(self):
        invoice = self.make_invoice(self.rossi, 845.20)
        self.make_invoice(self.rossi, 300.0)
        year, number = invoice.name.split("/")[1:]
        typo = number[:-2] + number[-1] + number[-2]  # last two digits swapped
        if typo == number:
            typo = number[:-1] + str((int(number[-1]) + 1) % 10)
        compact = self.make_line(845.20, label=f"INV{year}{number}")
        mistyped = self.make_line(845.20, label=f"INV/{year}/{typo}")
        self.match(compact)
        self.assert_paid_by(compact, invoice)
        invoice2 = self.make_invoice(self.rossi, 845.20)
        mistyped.payment_ref = "rechnung " + invoice2.name.replace(
            invoice2.name[-1], str((int(invoice2.name[-1]) + 3) % 10)
        )
        self.match(mistyped)
        best = mistyped.otc_applied_suggestion_id or mistyped.otc_suggestion_ids[:1]
        self.assertEqual(best.move_line_ids.move_id, invoice2)
        self.assertTrue(
            {"invoice_number_typo", "invoice_number"} & self.reason_codes(mistyped)
        )

    def test_odoo_payment_reference(self):
        invoice = self.make_invoice(self.dupont, 99.90)
        self.assertTrue(invoice.payment_reference)
        line = self.make_line(99.90, label="VIREMENT", ref=invoice.payment_reference)
        self.match(line)
        self.assert_paid_by(line, invoice)

    def test_rf_creditor_reference(self):
        self.company_data["default_journal_sale"].invoice_reference_model = "euro"
        invoice = self.make_invoice(self.dupont, 410.0)
        self.assertTrue(invoice.payment_reference.startswith("RF"))
        line = self.make_line(410.0, label=invoice.payment_reference.replace(" ", ""))
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertIn("rf_reference", self.reason_codes(line))

    def test_several_references_in_one_label(self):
        first = self.make_invoice(self.rossi, 100.0)
        second = self.make_invoice(self.rossi, 250.0)
        self.make_invoice(self.rossi, 100.0)
        line = self.make_line(350.0, label=f"{first.name} + {second.name}")
        self.match(line)
        self.assert_paid_by(line, first | second)
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])

    # customer identification ----------------------------------------------------

    def test_known_payer_account_and_exact_amount(self):
        invoice = self.make_invoice(self.mueller, 777.0)
        self.make_invoice(self.mueller, 120.0)
        self.make_invoice(self.rossi, 777.0)
        line = self.make_line(
            777.0, label="SEPA CREDIT", account_number=self.mueller_iban
        )
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertIn("payer_account", self.reason_codes(line))

    def test_payer_name_despite_form_accents_order_typos(self):
        invoice = self.make_invoice(self.mueller, 1502.33)
        self.make_invoice(self.rossi, 1502.33)
        for name in ("BAU MUELLER", "Muller Bau", "MULLER BAU GMBH"):
            line = self.make_line(1502.33, label="TRANSFER", partner_name=name)
            self.match(line)
            best = line.otc_applied_suggestion_id or line.otc_suggestion_ids[:1]
            self.assertEqual(best.partner_id, self.mueller, name)
            self.assertEqual(best.move_line_ids.move_id, invoice, name)
            self.assertIn("payer_name_similar", self.reason_codes(line), name)
            if line.is_reconciled:
                line.action_otc_undo()

    # amounts ---------------------------------------------------------------------

    def test_bank_fee_written_off_within_limit(self):
        invoice = self.make_invoice(self.rossi, 500.0)
        line = self.make_line(496.50, label=invoice.name)
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.writeoff_account
        )
        self.assertAlmostEqual(writeoff.debit, 3.50)

    def test_writeoff_item_gets_the_analytic_distribution_odoo_gives_it(self):
        """Write-off items take Odoo's distribution models (none without one)."""
        plan = self.env["account.analytic.plan"].create({"name": "Bank costs"})
        analytic = self.env["account.analytic.account"].create(
            {"name": "Bank fees", "plan_id": plan.id, "company_id": self.company.id}
        )
        first = self.make_invoice(self.rossi, 500.0)
        line = self.make_line(496.50, label=first.name)
        self.match(line)
        self.assert_paid_by(line, first)
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.writeoff_account
        )
        self.assertTrue(writeoff)
        self.assertFalse(writeoff.analytic_distribution)
        self.env["account.analytic.distribution.model"].create(
            {
                "account_prefix": self.writeoff_account.code,
                "company_id": self.company.id,
                "analytic_distribution": {str(analytic.id): 100},
            }
        )
        second = self.make_invoice(self.rossi, 500.0)
        line = self.make_line(496.50, label=second.name)
        self.match(line)
        self.assert_paid_by(line, second)
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.writeoff_account
        )
        self.assertEqual(writeoff.analytic_distribution, {str(analytic.id): 100})
        # the receivable counterpart carries none
        receivable = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )
        self.assertFalse(receivable.analytic_distribution)

    def test_writeoff_limit(self):
        invoice = self.make_invoice(self.rossi, 5000.0)
        line = self.make_line(4985.0, label=invoice.name)
        self.match(line)
        # 15.00 is above the 10.00 limit: not a fee, the rest stays open
        self.assertNotEqual(invoice.payment_state, "paid")
        if line.is_reconciled:
            self.assertAlmostEqual(invoice.amount_residual, 15.0)
            self.assertFalse(
                line.move_id.line_ids.filtered(
                    lambda aml: aml.account_id == self.writeoff_account
                )
            )
        # nobody can write off more than the limit, even by hand
        wizard = (
            self.env["otc.cash.pick.wizard"]
            .with_context(default_statement_line_id=line.id)
            .create({"partner_id": self.rossi.id})
        )
        if line.is_reconciled:
            line.action_otc_undo()
            wizard = (
                self.env["otc.cash.pick.wizard"]
                .with_context(default_statement_line_id=line.id)
                .create({"partner_id": self.rossi.id})
            )
        wizard._onchange_partner_id()
        wizard.line_ids.amount = 5000.0
        with self.assertRaisesRegex(UserError, "write-off limit"):
            wizard.action_apply()
        self.assertFalse(line.is_reconciled)
        self.company.otc_cash_writeoff_limit = 20.0
        wizard.action_apply()
        self.assertEqual(invoice.payment_state, "paid")

    def test_early_payment_discount(self):
        term = self.env["account.payment.term"].create(
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
        invoice = self.make_invoice(self.dupont, 1000.0, post=False)
        invoice.invoice_payment_term_id = term
        invoice.action_post()
        line = self.make_line(980.0, label=invoice.name)
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        discount_line = line.move_id.line_ids.filtered(
            lambda aml: (
                aml.account_id
                == self.company.account_journal_early_pay_discount_loss_account_id
            )
        )
        self.assertAlmostEqual(discount_line.debit, 20.0)

    def test_partial_payment_leaves_rest_open(self):
        invoice = self.make_invoice(self.mueller, 2000.0)
        line = self.make_line(
            600.0,
            label=f"{invoice.name} first instalment",
            account_number=self.mueller_iban,
        )
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 1400.0)

    def test_one_payment_several_invoices_without_reference(self):
        invoices = [
            self.make_invoice(self.mueller, a, days_ago=40 - i)
            for i, a in enumerate((120.0, 245.50, 310.0, 999.0))
        ]
        line = self.make_line(430.0, label="PAYMENT", account_number=self.mueller_iban)
        self.match(line)
        best = line.otc_applied_suggestion_id or line.otc_suggestion_ids[:1]
        self.assertEqual(best.kind, "subset")
        self.assertEqual(best.move_line_ids.move_id, invoices[0] | invoices[2])
        if not line.is_reconciled:
            best.action_accept()
        self.assert_paid_by(line, invoices[0] | invoices[2], state=line.otc_match_state)
        self.assertEqual(invoices[1].payment_state, "not_paid")

    def test_overpayment_left_as_customer_credit(self):
        invoice = self.make_invoice(self.rossi, 300.0)
        line = self.make_line(
            350.0, label=invoice.name, partner_name="Rossi Trasporti SpA"
        )
        self.match(line)
        best = line.otc_applied_suggestion_id or line.otc_suggestion_ids[:1]
        self.assertEqual(best.kind, "overpayment")
        if not line.is_reconciled:
            best.action_accept()
        self.assertEqual(invoice.payment_state, "paid")
        credit = line.move_id.line_ids.filtered(
            lambda aml: (
                aml.account_id.account_type == "asset_receivable" and not aml.reconciled
            )
        )
        self.assertAlmostEqual(credit.amount_residual, -50.0)
        self.assertEqual(credit.partner_id, self.rossi)

    def test_foreign_currency(self):
        usd = self.setup_other_currency("CHF", rates=[("2000-01-01", 2.0)])
        invoice = self.make_invoice(self.dupont, 800.0, currency=usd)
        self.assertAlmostEqual(self.receivable(invoice).balance, 400.0)
        # paid in CHF into the company-currency bank account, at another rate
        line = self.make_line(
            390.0,
            label=invoice.name,
            foreign_currency=usd,
            amount_currency=800.0,
        )
        self.match(line)
        self.assert_paid_by(line, invoice)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        # booked at 400.00, received 390.00: the exchange loss is in the bank
        # entry, not in a separate exchange difference entry
        loss = line.move_id.line_ids.filtered(
            lambda aml: (
                aml.account_id == self.company.expense_currency_exchange_account_id
            )
        )
        self.assertAlmostEqual(loss.debit, 10.0)
        receivable = self.receivable(invoice)
        self.assertFalse(receivable.full_reconcile_id.exchange_move_id)

    def test_line_paying_nothing(self):
        self.make_invoice(self.rossi, 100.0)
        line = self.make_line(43.21, label="INTEREST Q3", partner_name="Some Bank AG")
        stats = self.match(line)
        self.assertEqual(stats["auto"], 0)
        self.assertFalse(line.is_reconciled)
        self.assertIn(line.otc_match_state, ("unmatched", "suggested"))

    def test_outgoing_lines_are_left_alone(self):
        line = self.make_line(-50.0, label="Bank charges")
        self.assertFalse(line.otc_match_state)
        with self.assertRaises(UserError):
            line.action_otc_match()

    # runs ----------------------------------------------------------------------

    def test_matching_twice_never_reconciles_twice(self):
        invoice = self.make_invoice(self.mueller, 640.0)
        line = self.make_line(640.0, label=invoice.name)
        self.assertEqual(self.match(line)["auto"], 1)
        self.assertEqual(self.match(line)["auto"], 0)
        self.assertEqual(len(self.receivable(invoice).matched_credit_ids), 1)
        # two lines paying the same invoice in one run: only one gets it
        invoice2 = self.make_invoice(self.mueller, 90.0)
        first = self.make_line(90.0, label=invoice2.name)
        second = self.make_line(90.0, label=invoice2.name)
        self.match(first, second)
        self.assertEqual(len(self.receivable(invoice2).matched_credit_ids), 1)
        self.assertEqual((first | second).filtered("is_reconciled").ids, first.ids)

    def test_scheduled_job_matches_imported_lines(self):
        invoice = self.make_invoice(self.dupont, 250.0)
        triggers = self.env["ir.cron.trigger"].search_count(
            [
                (
                    "cron_id",
                    "=",
                    self.env.ref("otc_order_to_cash.ir_cron_otc_cash_match").id,
                )
            ]
        )
        statement = self.env["account.bank.statement"].create(
            {
                "name": "Import 42",
                "journal_id": self.bank_journal.id,
                "line_ids": [
                    Command.create(
                        {
                            "date": self.today,
                            "payment_ref": invoice.name,
                            "amount": 250.0,
                            "journal_id": self.bank_journal.id,
                        }
                    ),
                    Command.create(
                        {
                            "date": self.today,
                            "payment_ref": "fees",
                            "amount": -2.0,
                            "journal_id": self.bank_journal.id,
                        }
                    ),
                ],
            }
        )
        receipt = statement.line_ids.filtered(lambda line: line.amount > 0)
        self.assertEqual(receipt.otc_match_state, "todo")
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count(
                [
                    (
                        "cron_id",
                        "=",
                        self.env.ref("otc_order_to_cash.ir_cron_otc_cash_match").id,
                    )
                ]
            ),
            triggers,
        )
        self.env["account.bank.statement.line"]._cron_otc_match(batch_size=1)
        self.assert_paid_by(receipt, invoice)

    def test_match_by_hand_on_selected_lines(self):
        invoice = self.make_invoice(self.rossi, 75.0)
        line = self.make_line(75.0, label=invoice.name)
        line.with_user(self.clerk).action_otc_match()
        self.assert_paid_by(line, invoice)

    def test_lines_are_processed_in_a_stated_order(self):
        """Statement date, then sequence, then id: two lines paying the same
        invoice, the earlier payment gets it, run after run."""
        invoice = self.make_invoice(self.rossi, 640.0)
        later = self.make_line(640.0, label=f"RG {invoice.name}")
        earlier = self.make_line(
            640.0, label=f"RG {invoice.name}", date=self.today - timedelta(days=5)
        )
        lines = later | earlier
        outcomes = []
        for _run in range(2):
            with self.env.cr.savepoint() as savepoint:
                lines._otc_match_lines()
                outcomes.append(
                    [
                        (line.id, line.otc_match_state, line.is_reconciled)
                        for line in lines
                    ]
                )
                savepoint.rollback()
            self.env.invalidate_all()
        self.assertEqual(outcomes[0], outcomes[1])
        states = {line_id: (state, done) for line_id, state, done in outcomes[0]}
        self.assertEqual(states[earlier.id], ("auto", True))
        self.assertFalse(states[later.id][1])
