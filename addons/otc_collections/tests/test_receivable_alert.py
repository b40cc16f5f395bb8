from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestReceivableAlert(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "otc_alert_dso_above": 0.0,
                "otc_alert_cei_below": 0.0,
                "otc_alert_worsening_days": 0,
                "otc_alert_large_amount": 0.0,
            }
        )
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.Alert = cls.env["otc.receivable.alert"]

    def _kinds(self, alerts):
        return sorted(alerts.mapped("kind"))

    def _misc_entry(self, lines):
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [Command.create(vals) for vals in lines],
            }
        )
        move.action_post()
        return move

    def test_clean_books_raise_nothing(self):
        invoice = self.make_invoice(self.customer, 100.0)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertFalse(self.Alert._otc_check_company(self.company))

    def test_item_without_customer(self):
        revenue = self.company_data["default_account_revenue"]
        self._misc_entry(
            [
                {"account_id": self.receivable.id, "debit": 50.0, "name": "no partner"},
                {"account_id": revenue.id, "credit": 50.0, "name": "no partner"},
            ]
        )
        alerts = self.Alert._otc_check_company(self.company)
        self.assertEqual(self._kinds(alerts), ["no_customer"])
        self.assertAlmostEqual(alerts.value, 50.0)
        # one activity, and never a second alert for the same item
        self.assertEqual(len(alerts.activity_ids), 1)
        self.assertFalse(self.Alert._otc_check_company(self.company))

    def test_paid_but_not_reconciled(self):
        self.make_invoice(self.customer, 300.0)
        self.make_payment(self.customer, 300.0)
        alerts = self.Alert._otc_check_company(self.company)
        self.assertEqual(self._kinds(alerts), ["paid_unreconciled"])
        self.assertEqual(alerts.partner_id, self.customer)

    def test_ledger_mismatch_across_customers(self):
        other = self.env["res.partner"].create({"name": "Other Customer"})
        invoice = self.make_invoice(self.customer, 200.0)
        payment = self.make_payment(other, 200.0)
        lines = (invoice.line_ids | payment.move_id.line_ids).filtered(
            lambda line: line.account_id == self.receivable
        )
        lines.reconcile()
        alerts = self.Alert._otc_check_company(self.company)
        self.assertEqual(self._kinds(alerts), ["ledger_mismatch", "ledger_mismatch"])
        self.assertEqual(alerts.partner_id, self.customer | other)

    def test_invoice_not_on_receivable_account(self):
        invoice = self.make_invoice(self.customer, 120.0)
        term_line = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        current = self.company_data["default_account_assets"]
        # a defect as an import or a bad chart would leave it (Odoo's forms refuse it)
        self.env.cr.execute(
            "UPDATE account_move_line SET account_id = %s WHERE id = %s",
            (current.id, term_line.id),
        )
        self.env.invalidate_all()
        alerts = self.Alert._otc_check_company(self.company)
        self.assertIn("wrong_account", alerts.mapped("kind"))
        self.assertEqual(
            alerts.filtered(lambda a: a.kind == "wrong_account").move_id, invoice
        )

    def test_kpi_threshold_once_per_month(self):
        self.make_invoice(self.customer, 1000.0, days_ago=60)
        self.company.otc_alert_dso_above = 1.0
        alerts = self.Alert._otc_check_company(self.company)
        self.assertEqual(self._kinds(alerts), ["dso_high"])
        self.assertEqual(alerts.activity_ids.user_id, self.credit_manager)
        self.assertFalse(self.Alert._otc_check_company(self.company))
        alerts.with_user(self.clerk).action_done()
        self.assertEqual(alerts.state, "done")
        self.assertFalse(alerts.activity_ids)

    def test_large_invoice_predicted_late_goes_to_collector(self):
        self.customer.with_company(self.company).otc_collector_id = self.collector
        self.company.write(
            {"otc_alert_large_amount": 5000.0, "otc_alert_large_late_days": 5}
        )
        # always 30 days late
        for days_ago in (200, 150, 100):
            paid = self.make_invoice(self.customer, 100.0, days_ago=days_ago)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=paid.ids
            ).create(
                {"payment_date": paid.invoice_date_due + timedelta(days=30)}
            )._create_payments()
        big = self.make_invoice(self.customer, 9000.0)
        self.make_invoice(self.customer, 900.0)  # small: no alert
        self.env["otc.payment.prediction"]._otc_predict_company(self.company)
        alerts = self.Alert._otc_check_company(self.company)
        self.assertEqual(self._kinds(alerts), ["large_late"])
        self.assertEqual(alerts.move_id, big)
        self.assertEqual(alerts.activity_ids.user_id, self.collector)
