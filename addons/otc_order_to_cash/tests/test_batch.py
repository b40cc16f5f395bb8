from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.otc_order_to_cash.tools.batch import run_batches


@tagged("post_install", "-at_install")
class TestBatchRetry(TransactionCase):
    """run_batches() against a real concurrent writer: another database
    connection holds a row lock on one item of the batch (committed data,
    removed at the end)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partners = env["res.partner"].create(
                [{"name": f"Batch Retry {n}"} for n in range(6)]
            )
            self.partner_ids = partners.ids
        self.addCleanup(self._remove_data)
        self.busy = self.partner_ids[2]
        # another transaction writing the busy customer right now
        self.blocker = self.registry.cursor()
        self.addCleanup(self.blocker.close)
        self.blocker.execute(
            "SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [self.busy]
        )

    def _remove_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].browse(self.partner_ids).unlink()

    @staticmethod
    def _process(env, release=None):
        def process(ids):
            try:
                env.cr.execute(
                    SQL(
                        "SELECT id FROM res_partner WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                        ids,
                    )
                )
            except errors.LockNotAvailable:
                if release:
                    release()
                raise
            env["res.partner"].browse(ids).write({"ref": "batch done"})

        return process

    @mute_logger("odoo.sql_db")
    def test_busy_item_is_isolated_and_the_rest_of_the_batch_is_done(self):
        # not committing (a button, a test): savepoints, nothing committed
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        env = api.Environment(cr, SUPERUSER_ID, {})
        progress = env["ir.cron.progress"].create(
            {"cron_id": env.ref("otc_order_to_cash.ir_cron_otc_credit_alerts").id}
        )
        env = env(context={"ir_cron_progress_id": progress.id})
        failures = []
        report = run_batches(
            env,
            self.partner_ids,
            self._process(env),
            batch_size=4,
            commit=False,
            on_failure=lambda item, error: failures.append(item),
            label="test",
        )
        self.assertEqual(report.failed_items, [self.busy])
        self.assertIsInstance(report.failed[0][1], errors.LockNotAvailable)
        self.assertEqual(failures, [self.busy])
        self.assertEqual(report.done, 5)
        partners = env["res.partner"].browse(self.partner_ids)
        done = partners.filtered(lambda p: p.ref == "batch done")
        self.assertEqual(sorted(done.ids), sorted(set(self.partner_ids) - {self.busy}))
        self.assertEqual((progress.done, progress.remaining), (6, 0))
        cr.rollback()

    @mute_logger("odoo.sql_db")
    def test_committing_run_retries_the_busy_item_in_a_fresh_transaction(self):
        def release():
            # the other writer commits: our next transaction may go on
            self.blocker.rollback()

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            report = run_batches(
                env,
                self.partner_ids,
                self._process(env, release),
                batch_size=4,
                commit=True,
                label="test",
            )
        self.assertEqual(report.failed, [])
        self.assertEqual(report.done, 6)
        self.assertGreater(report.retried, 0)
        # committed, seen from another connection
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM res_partner WHERE id = ANY(%s) AND ref = %s",
                [self.partner_ids, "batch done"],
            )
            self.assertEqual(cr.fetchone()[0], 6)

    def test_other_errors_propagate(self):
        def process(ids):
            raise ValueError("bad input")

        with self.assertRaises(ValueError):
            run_batches(self.env, self.partner_ids, process, batch_size=4)
