import threading

from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..hooks import uninstall_hook
from .common import OtcCreditCommon

TIMEOUT = 8


@tagged("post_install", "-at_install")
class TestOpenItemConcurrency(TransactionCase):
    """Two payments of two invoices of one customer, in two journals, each in
    its own database transaction at the same time (real cursors, committed
    data removed at the end): both go through. The open-item summary used to
    be updated in place by the journal-item trigger, and the second payment
    waited for the first, then failed with a serialization error."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            journals = {
                kind: env["account.journal"].search(
                    [("type", "=", kind), ("company_id", "=", company.id)], limit=1
                )
                for kind in ("sale", "bank", "cash")
            }
            if not all(journals.values()):
                self.skipTest("the main company has no chart of accounts")
            partner = env["res.partner"].create(
                {"name": "Open Item Concurrency Customer", "is_company": True}
            )
            today = fields.Date.context_today(partner)
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "journal_id": journals["sale"].id,
                        "invoice_date": today,
                        "invoice_date_due": today,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "x", "price_unit": amount, "tax_ids": []}
                            )
                        ],
                    }
                    for amount in (1200.0, 800.0)
                ]
            )
            invoices.action_post()
            self.ids = {
                "partner": partner.id,
                "invoices": invoices.ids,
                "journals": [journals["bank"].id, journals["cash"].id],
            }
        self.addCleanup(self._remove_data)

    def _remove_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"force_delete": True})
            payments = env["account.payment"].search(
                [("partner_id", "=", self.ids["partner"])]
            )
            payments.action_draft()
            payments.unlink()
            invoices = env["account.move"].browse(self.ids["invoices"])
            invoices.button_draft()
            invoices.unlink()
            env["account.payment.register"].search(
                [("partner_id", "=", self.ids["partner"])]
            ).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _pay(self, index, results, after_payment=None, before=None):
        """Pay one invoice in a thread with its own cursor; record the outcome."""

        def target():
            try:
                with self.registry.cursor() as cr:
                    # the test runner holds the registry lock: reuse its registry
                    cr.transaction = api.Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    if before:
                        before()
                    invoice = env["account.move"].browse(self.ids["invoices"][index])
                    env["account.payment.register"].with_context(
                        active_model="account.move", active_ids=invoice.ids
                    ).create(
                        {"journal_id": self.ids["journals"][index]}
                    )._create_payments()
                    env.flush_all()
                    if after_payment:
                        after_payment()
                results[index] = "paid"
            except errors.SerializationFailure:
                results[index] = "serialization failure"
            except Exception as error:  # noqa: BLE001 - reported by the test
                results[index] = repr(error)

        thread = threading.Thread(target=target, name=f"pay-{index}")
        thread.start()
        return thread

    def test_two_payments_of_one_customer_at_once(self):
        first_paid, second_done = threading.Event(), threading.Event()
        results = {}

        def hold_open():
            # the first payment is written, not committed yet
            first_paid.set()
            second_done.wait(TIMEOUT)

        first = self._pay(0, results, after_payment=hold_open)
        self.assertTrue(first_paid.wait(TIMEOUT), results)
        second = self._pay(1, results, after_payment=second_done.set)
        second.join(TIMEOUT * 2)
        second_done.set()
        first.join(TIMEOUT * 2)
        self.assertEqual(results, {0: "paid", 1: "paid"})
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            invoices = env["account.move"].browse(self.ids["invoices"])
            self.assertLessEqual(
                set(invoices.mapped("payment_state")), {"in_payment", "paid"}
            )
            self.assertFalse(any(invoices.mapped("amount_residual")))
            Exposure = env["otc.credit.exposure"]
            self.assertEqual(Exposure._open_item_differences(), [])
            partner = env["res.partner"].browse(self.ids["partner"])
            exposure = Exposure._get_exposure(partner, env.ref("base.main_company"))
            self.assertEqual(exposure[partner.id].receivable, 0)


class TestOpenItemSummary(OtcCreditCommon):
    def test_only_receivable_items_are_summed(self):
        invoice = self.make_invoice(self.customer, 1000)
        Exposure = self.env["otc.credit.exposure"]
        Exposure._fold_open_item_deltas()
        self.env.cr.execute(
            "SELECT DISTINCT a.account_type FROM otc_open_item_summary s"
            " JOIN account_account a ON a.id = s.account_id"
        )
        self.assertEqual(
            {row[0] for row in self.env.cr.fetchall()}, {"asset_receivable"}
        )
        self.assertEqual(self.exposure().receivable, invoice.amount_total)

    def test_changes_are_appended_then_folded(self):
        invoice = self.make_invoice(self.customer, 1000)
        Exposure = self.env["otc.credit.exposure"]
        Exposure._fold_open_item_deltas()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 400})._create_payments()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM otc_open_item_delta WHERE partner_id = %s",
            [self.customer.id],
        )
        self.assertGreater(self.env.cr.fetchone()[0], 0)
        # read before and after the fold: the same figures
        before = self.exposure()
        self.assertAlmostEqual(before.receivable, 600)
        Exposure._fold_open_item_deltas()
        self.env.cr.execute(
            "SELECT count(*) FROM otc_open_item_delta WHERE partner_id = %s",
            [self.customer.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(self.exposure(), before)
        self.assertEqual(Exposure._open_item_differences(), [])

    def test_check_repairs_and_logs_a_damaged_summary(self):
        invoice = self.make_invoice(self.customer, 1000)
        Exposure = self.env["otc.credit.exposure"]
        Exposure._fold_open_item_deltas()
        # damage: a lost change, and a row of nothing
        self.env.cr.execute(
            "UPDATE otc_open_item_summary SET debit_residual = debit_residual + 5"
            " WHERE partner_id = %s",
            [self.customer.id],
        )
        self.env.cr.execute(
            "INSERT INTO otc_open_item_summary VALUES (%s, %s, %s, '2001-01-01', 7, 0, 1)",
            [self.customer.id, self.company.id, invoice.line_ids.account_id[0].id],
        )
        self.assertEqual(len(Exposure._open_item_differences()), 2)
        with self.assertLogs(
            "odoo.addons.otc_order_to_cash.models.otc_credit_exposure", "WARNING"
        ) as logs:
            Exposure._cron_check_open_item_summary()
        self.assertIn("2 rows differ", logs.output[0])
        self.assertEqual(Exposure._open_item_differences(), [])
        self.assertEqual(self.exposure().receivable, invoice.amount_total)
        self.assertEqual(self.exposure().overdue_amount, 0)

    def test_uninstall_hook_drops_what_it_made(self):
        class Rollback(Exception):
            pass

        def exists():
            self.env.cr.execute(
                """
                SELECT to_regclass('otc_open_item_summary') IS NOT NULL,
                       to_regclass('otc_open_item_delta') IS NOT NULL,
                       to_regclass('otc_credit_control') IS NOT NULL,
                       EXISTS (SELECT 1 FROM pg_trigger
                                WHERE tgname = 'otc_open_item_summary'),
                       EXISTS (SELECT 1 FROM pg_proc
                                WHERE proname IN ('otc_credit_exposure',
                                                  'otc_open_item_summary_trigger'))
                """
            )
            return self.env.cr.fetchone()

        self.assertEqual(exists(), (True,) * 5)
        # DDL is transactional: dropped inside a savepoint, then rolled back
        with self.assertRaises(Rollback), self.env.cr.savepoint():
            uninstall_hook(self.env)
            self.assertEqual(exists(), (False,) * 5)
            raise Rollback()
        self.assertEqual(exists(), (True,) * 5)

    def test_menu_action_for_ar_managers_only(self):
        action = self.env.ref("otc_order_to_cash.otc_open_item_summary_check_action")
        manager = new_test_user(
            self.env,
            "otc_summary_manager",
            groups="base.group_user,otc_order_to_cash.group_otc_ar_manager",
        )
        result = action.with_user(manager).run()
        self.assertEqual(result["params"]["type"], "success")
        with self.assertRaises(AccessError):
            action.with_user(self.clerk).run()
        with self.assertRaises(AccessError):
            self.env["otc.credit.exposure"].with_user(
                self.clerk
            ).action_check_open_item_summary()
