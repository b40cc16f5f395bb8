from datetime import timedelta

from odoo.tests import tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditAlerts(OtcCreditCommon):
    def _alerts(self, partner=None):
        return self.env["otc.credit.event"].search(
            [
                ("partner_id", "=", (partner or self.customer).id),
                ("company_id", "=", self.company.id),
            ]
        )

    def _activities(self, partner=None):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", (partner or self.customer).id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "otc_order_to_cash.mail_activity_type_otc_credit_alert"
                    ).id,
                ),
            ]
        )

    def run_cron(self):
        self.env["otc.credit.event"]._cron_credit_alerts()

    def test_near_then_over_each_once(self):
        self.set_credit(self.customer, 1000)
        self.make_invoice(self.customer, 850)
        self.run_cron()
        self.assertEqual(sorted(self._alerts().mapped("event_type")), ["near"])
        self.assertEqual(len(self._activities()), 1)
        self.assertEqual(self._activities().user_id, self.credit_manager)
        self.run_cron()
        self.assertEqual(len(self._activities()), 1, "never twice for the same event")

        self.make_invoice(self.customer, 300)
        self.run_cron()
        self.run_cron()
        self.assertEqual(sorted(self._alerts().mapped("event_type")), ["near", "over"])
        self.assertEqual(len(self._activities()), 2)
        self.assertIn(
            "over its credit limit", " ".join(self._activities().mapped("summary"))
        )

    def test_back_under_and_crossing_again_alerts_again(self):
        self.set_credit(self.customer, 1000)
        invoice = self.make_invoice(self.customer, 1200)
        self.run_cron()
        self.assertEqual(len(self._activities()), 1)  # straight to "over"
        # Paid down to 60%: back under both levels.
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 600})._create_payments()
        self.run_cron()
        self.assertFalse(self._alerts())
        self.make_invoice(self.customer, 600)
        self.run_cron()
        self.assertEqual(len(self._activities()), 2)

    def test_over_back_to_near_does_not_alert_near(self):
        self.set_credit(self.customer, 1000)
        invoice = self.make_invoice(self.customer, 1100)
        self.run_cron()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 200})._create_payments()
        self.run_cron()
        self.assertEqual(sorted(self._alerts().mapped("event_type")), ["near"])
        self.assertEqual(len(self._activities()), 1)

    def test_review_date_once_per_date(self):
        self.set_credit(
            self.customer, 0, otc_credit_review_date=self.today - timedelta(days=1)
        )
        self.make_invoice(self.customer, 10)  # a customer with receivables
        self.run_cron()
        self.run_cron()
        self.assertEqual(self._alerts().mapped("event_type"), ["review"])
        self.assertEqual(len(self._activities()), 1)
        self.set_credit(self.customer, 0, otc_credit_review_date=self.today)
        self.run_cron()
        self.assertEqual(len(self._activities()), 2, "a new review date is a new event")

    def test_future_review_date_no_alert(self):
        self.set_credit(
            self.customer, 0, otc_credit_review_date=self.today + timedelta(days=5)
        )
        self.make_invoice(self.customer, 10)
        self.run_cron()
        self.assertFalse(self._alerts())

    def test_automatic_hold_and_release(self):
        self.company.otc_auto_hold_overdue = True
        invoice = self.make_invoice(self.customer, 100, days_ago=70)  # 40 days overdue
        self.run_cron()
        partner = self.customer.with_company(self.company)
        self.assertTrue(partner.otc_credit_hold)
        self.assertEqual(partner.otc_credit_hold_type, "auto")
        self.assertIn("40 days", partner.otc_credit_hold_reason)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.run_cron()
        partner.invalidate_recordset()
        self.assertFalse(partner.otc_credit_hold)

    def test_manual_hold_not_released_automatically(self):
        self.company.otc_auto_hold_overdue = True
        self.make_invoice(self.customer, 100)
        self.customer.with_company(self.company)._otc_set_hold("Fraud check")
        self.run_cron()
        self.assertTrue(self.customer.with_company(self.company).otc_credit_hold)

    def test_batches_cover_everyone(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "is_company": True} for i in range(5)]
        )
        for partner in partners:
            self.set_credit(partner, 100)
            self.make_invoice(partner, 150)
        self.env["otc.credit.event"]._cron_credit_alerts(batch_size=2)
        for partner in partners:
            self.assertEqual(
                sorted(self._alerts(partner).mapped("event_type")), ["near", "over"]
            )
            self.assertEqual(len(self._activities(partner)), 1)
