import logging
import threading
from unittest.mock import patch

from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.otc_order_to_cash.models.account_bank_statement_line import (
    AccountBankStatementLine,
)

_logger = logging.getLogger(__name__)
TIMEOUT = 10


def committed_journals(test, env):
    """The main company's bank and sales journals, for data committed through
    separate cursors (the test is skipped on a database without a chart)."""
    company = env.ref("base.main_company")
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    sale = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    if not journal.suspense_account_id or not sale:
        test.skipTest("the main company has no chart of accounts")
    return journal, sale


@tagged("post_install", "-at_install")
class TestCashConcurrency(TransactionCase):
    """Two matching runs at once on the same lines, each in its own database
    transaction (real cursors, committed data): never a double reconciliation.

    The test's own transaction cannot be seen by other connections, so the
    data is committed through separate cursors and removed at the end.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal, sale = committed_journals(self, env)
            partner = env["res.partner"].create(
                {"name": "Concurrency Test Customer", "is_company": True}
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": sale.id,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "x", "price_unit": 4321.09, "tax_ids": []}
                        )
                    ],
                }
            )
            invoice.action_post()
            line = env["account.bank.statement.line"].create(
                {
                    "journal_id": journal.id,
                    "amount": invoice.amount_total,
                    "payment_ref": f"{invoice.name} concurrency",
                    "date": invoice.invoice_date,
                }
            )
            self.ids = {"partner": partner.id, "invoice": invoice.id, "line": line.id}
        self.addCleanup(self._remove_data)

    def _remove_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"force_delete": True})
            line = env["account.bank.statement.line"].browse(self.ids["line"])
            invoice = env["account.move"].browse(self.ids["invoice"])
            if line.is_reconciled:
                line.action_undo_reconciliation()
            line.unlink()
            invoice.button_draft()
            invoice.unlink()
            env["otc.cash.payer"].search(
                [("partner_id", "=", self.ids["partner"])]
            ).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _run(self, name, results, before=None):
        """Match the line in a thread with its own cursor; record the outcome."""

        def target():
            try:
                with self.registry.cursor() as cr:
                    # the test runner holds the registry lock: reuse its registry
                    cr.transaction = api.Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    if before:
                        cr.execute("SELECT 1")  # take the snapshot now
                        before()
                    line = env["account.bank.statement.line"].browse(self.ids["line"])
                    results[name] = line._otc_match_lines()["auto"]
            except errors.SerializationFailure:
                results[name] = "serialization failure"
            except Exception as error:  # noqa: BLE001 - reported by the test
                results[name] = repr(error)

        thread = threading.Thread(target=target, name=name)
        thread.start()
        return thread

    def _partials(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            invoice = env["account.move"].browse(self.ids["invoice"])
            receivable = invoice.line_ids.filtered(
                lambda aml: aml.account_id.account_type == "asset_receivable"
            )
            line = env["account.bank.statement.line"].browse(self.ids["line"])
            return (
                len(receivable.matched_credit_ids),
                invoice.payment_state,
                line.is_reconciled,
            )

    def test_second_run_skips_lines_the_first_holds(self):
        a_locked, b_done = threading.Event(), threading.Event()

        def hold(records):
            if threading.current_thread().name == "A":
                a_locked.set()
                b_done.wait(TIMEOUT)

        results = {}
        with patch.object(
            AccountBankStatementLine,
            "_otc_lines_locked",
            autospec=True,
            side_effect=hold,
        ):
            run_a = self._run("A", results)
            self.assertTrue(a_locked.wait(TIMEOUT), results)
            run_b = self._run("B", results)
            run_b.join(TIMEOUT)
            b_done.set()
            run_a.join(TIMEOUT)
        self.assertEqual(results, {"A": 1, "B": 0})
        self.assertEqual(self._partials(), (1, "paid", True))

    def test_run_with_an_older_snapshot_fails_cleanly(self):
        b_started, a_done = threading.Event(), threading.Event()

        def wait_for_a():
            b_started.set()
            a_done.wait(TIMEOUT)

        results = {}
        run_b = self._run("B", results, before=wait_for_a)
        self.assertTrue(b_started.wait(TIMEOUT), results)
        run_a = self._run("A", results)
        run_a.join(TIMEOUT)
        a_done.set()
        run_b.join(TIMEOUT)
        self.assertEqual(results["A"], 1)
        # B saw the line unreconciled in its snapshot, but may not touch it
        self.assertIn(results["B"], (0, "serialization failure"))
        self.assertEqual(self._partials(), (1, "paid", True))


@tagged("post_install", "-at_install")
class TestCashBatchRetry(TransactionCase):
    """The scheduled job meets a concurrent writer on one invoice of its
    batch (another connection holds the invoice's receivable item): the
    batch is retried in halves, the other lines are reconciled, the busy
    one waits for the next run (committed data, removed at the end)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal, sale = committed_journals(self, env)
            partner = env["res.partner"].create(
                {"name": "Batch Retry Customer", "is_company": True}
            )
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "journal_id": sale.id,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "x", "price_unit": amount, "tax_ids": []}
                            )
                        ],
                    }
                    for amount in (1111.11, 2222.22, 3333.33)
                ]
            )
            invoices.action_post()
            lines = env["account.bank.statement.line"].create(
                [
                    {
                        "journal_id": journal.id,
                        "amount": invoice.amount_total,
                        "payment_ref": f"{invoice.name} batch retry",
                        "date": invoice.invoice_date,
                    }
                    for invoice in invoices
                ]
            )
            self.ids = {
                "company": journal.company_id.id,
                "partner": partner.id,
                "invoices": invoices.ids,
                "lines": lines.ids,
                "busy": invoices[1]
                .line_ids.filtered(
                    lambda aml: aml.account_id.account_type == "asset_receivable"
                )
                .id,
            }
        self.addCleanup(self._remove_data)
        # another transaction writing the second invoice right now
        self.blocker = self.registry.cursor()
        self.addCleanup(self.blocker.close)
        self.blocker.execute(
            "SELECT id FROM account_move_line WHERE id = %s FOR UPDATE",
            [self.ids["busy"]],
        )

    def _remove_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"force_delete": True})
            lines = env["account.bank.statement.line"].browse(self.ids["lines"])
            lines.filtered("is_reconciled").action_undo_reconciliation()
            lines.unlink()
            invoices = env["account.move"].browse(self.ids["invoices"])
            invoices.button_draft()
            invoices.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def test_busy_invoice_costs_one_line_not_the_batch(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        # waiting for the other writer would block the test: fail at once
        cr.execute("SET lock_timeout = '300ms'")
        env = api.Environment(cr, SUPERUSER_ID, {})
        Line = env["account.bank.statement.line"]
        lines = Line.browse(self.ids["lines"])
        # the other companies' waiting lines are not this test's business
        env["res.company"].search(
            [("id", "!=", self.ids["company"])]
        ).otc_cash_auto_match = False
        env["res.company"].browse(self.ids["company"]).otc_cash_auto_match = True
        Line.search(
            [("otc_match_state", "=", "todo"), ("id", "not in", lines.ids)]
        ).otc_match_state = "unmatched"
        with mute_logger("odoo.sql_db", "odoo.addons.otc_order_to_cash.tools.batch"):
            Line._cron_otc_match(batch_size=3)
        states = dict(zip(lines.ids, lines.mapped("otc_match_state"), strict=True))
        self.assertEqual(
            [states[i] for i in self.ids["lines"]], ["auto", "todo", "auto"]
        )
        self.assertEqual(lines.mapped("is_reconciled"), [True, False, True])
        cr.rollback()
