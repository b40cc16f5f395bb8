from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestPaymentPrediction(OtcCreditCommon):
    """A customer that always pays 10 days late; its open invoices, one under
    a promise and one under a partial dispute."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for days_ago in (160, 130, 100):
            invoice = cls.make_invoice(
                cls.customer, 200.0, days_ago=days_ago, due_days=30
            )
            cls._pay(invoice, invoice.invoice_date_due + timedelta(days=10))
        cls.fresh = cls.make_invoice(cls.customer, 1000.0, days_ago=0, due_days=30)
        cls.promised = cls.make_invoice(cls.customer, 400.0, days_ago=40, due_days=30)
        cls.disputed = cls.make_invoice(cls.customer, 600.0, days_ago=5, due_days=30)
        cls.env["otc.promise"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "move_ids": [(6, 0, cls.promised.ids)],
                "promise_date": cls.today + timedelta(days=9),
                "amount": 400.0,
            }
        )
        cls.env["otc.dispute"].create(
            {
                "move_id": cls.disputed.id,
                "disputed_amount": 150.0,
                "reason_id": cls.env["otc.dispute.reason"].search([], limit=1).id,
            }
        )

    @classmethod
    def _pay(cls, invoice, when):
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": when})._create_payments()

    def _predictions(self):
        Prediction = self.env["otc.payment.prediction"]
        Prediction._otc_predict_company(self.company)
        return {
            p.move_id: p
            for p in Prediction.search([("company_id", "=", self.company.id)])
        }

    def test_predictions_follow_pattern_promise_and_dispute(self):
        preds = self._predictions()
        self.assertEqual(set(preds), {self.fresh, self.promised, self.disputed})
        fresh = preds[self.fresh]
        # the customer's and the company's pattern: 10 days late
        self.assertEqual(
            fresh.predicted_date, self.fresh.invoice_date_due + timedelta(days=10)
        )
        self.assertEqual(fresh.source, "customer")
        self.assertLessEqual(fresh.predicted_low, fresh.predicted_date)
        self.assertGreaterEqual(fresh.predicted_high, fresh.predicted_date)
        promised = preds[self.promised]
        self.assertEqual(promised.source, "promise")
        self.assertEqual(promised.predicted_date, self.today + timedelta(days=9))
        disputed = preds[self.disputed]
        self.assertTrue(disputed.disputed)
        self.assertAlmostEqual(disputed.disputed_amount, 150.0)
        # later than the undisputed pattern: the dispute delays it
        self.assertGreater(
            disputed.predicted_date, self.disputed.invoice_date_due + timedelta(days=10)
        )
        # re-running replaces, never doubles
        again = self._predictions()
        self.assertEqual(len(again), 3)

    def test_forecast_includes_promises_and_leaves_disputes_out(self):
        self._predictions()
        forecast = self.env["otc.cash.forecast"].create({"include_orders": False})
        forecast.action_compute()
        self.assertEqual(len(forecast.line_ids), 13)
        self.assertAlmostEqual(forecast.disputed, 150.0)
        # everything expected within 13 weeks except the disputed part
        self.assertAlmostEqual(
            forecast.total_expected + forecast.beyond,
            1000.0 + 400.0 + 600.0 - 150.0,
            places=2,
        )
        promise_week = forecast.line_ids.filtered(
            lambda w: (
                w.week_start
                <= self.today + timedelta(days=9)
                < w.week_start + timedelta(days=7)
            )
        )
        self.assertGreaterEqual(promise_week.expected, 400.0 - 0.01)

    def test_forecast_counts_orders_not_invoiced(self):
        self._predictions()
        order = self.make_order(self.customer, 500.0)
        order.action_confirm()
        without = self.env["otc.cash.forecast"].create({"include_orders": False})
        without.action_compute()
        with_orders = self.env["otc.cash.forecast"].create({"include_orders": True})
        with_orders.action_compute()
        self.assertAlmostEqual(
            (with_orders.total_expected + with_orders.beyond)
            - (without.total_expected + without.beyond),
            500.0,
            places=2,
        )

    def test_invoice_shows_prediction_to_ar_only(self):
        self._predictions()
        move = self.fresh.with_user(self.clerk)
        self.assertEqual(
            move.otc_predicted_date, self.fresh.invoice_date_due + timedelta(days=10)
        )
        with self.assertRaises(AccessError):
            self.env["otc.payment.prediction"].with_user(self.salesman).search([])
        # an invoicing user without the suite's groups reads the invoice as
        # before, but not the prediction
        biller = new_test_user(
            self.env,
            "otc_biller",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        self.fresh.with_user(biller).read(["name", "amount_residual"])
        with self.assertRaises(AccessError):
            self.fresh.with_user(biller).read(["otc_predicted_date"])

    def test_customer_and_worklist_show_the_prediction(self):
        self._predictions()
        # the promise (in 9 days) is the next expected payment; the fresh and
        # the disputed invoices are expected after 30 days
        partner = self.customer.with_user(self.clerk).with_company(self.company)
        self.assertEqual(partner.otc_next_payment_date, self.today + timedelta(days=9))
        self.assertAlmostEqual(partner.otc_expected_30_days, 400.0)
        action = partner.action_otc_open_predictions()
        self.assertEqual(
            self.env["otc.payment.prediction"].search(action["domain"]).move_id,
            self.fresh | self.promised | self.disputed,
        )
        # the worklist line of the customer: its overdue invoice is the
        # promised one, expected on the promised date
        Worklist = self.env["otc.worklist"]
        Worklist._refresh_company(self.company)
        line = Worklist.search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(line.predicted_date, self.today + timedelta(days=9))
        # a salesperson reads the customer as before, not the outlook
        self.customer.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).read(["otc_next_payment_date"])

    def _dashboard_forecast(self):
        return [
            (w["week"], w["expected"], w["low"], w["high"])
            for w in self.env["otc.receivable.kpi"].otc_dashboard_data()["forecast"]
        ]

    def _live_forecast(self):
        """The forecast computed now, not the stored one."""
        company = self.company.sudo()
        stored = company.otc_forecast_cache
        company.otc_forecast_cache = False
        forecast = self.env["otc.cash.forecast"].create({})
        forecast.action_compute()
        company.otc_forecast_cache = stored
        return [
            (str(w.week_start), w.expected, w.low, w.high) for w in forecast.line_ids
        ]

    def _assert_weeks(self, got, expected):
        self.assertEqual(len(got), 13)
        self.assertEqual([w[0] for w in got], [w[0] for w in expected])
        for g, e in zip(got, expected, strict=True):
            for a, b in zip(g[1:], e[1:], strict=True):
                self.assertAlmostEqual(a, b, places=4)

    def test_dashboard_reuses_the_daily_forecast_while_its_inputs_hold(self):
        self._predictions()
        company = self.company.sudo()
        self.assertTrue(company.otc_forecast_cache["key"], "stored by the daily run")
        self._assert_weeks(self._dashboard_forecast(), self._live_forecast())
        # the stored figures are what the dashboard shows...
        stored = dict(company.otc_forecast_cache)
        stored["weeks"] = [[w[0], 12345.0, 0.0, 0.0] for w in stored["weeks"]]
        company.otc_forecast_cache = stored
        self.assertEqual({w[1] for w in self._dashboard_forecast()}, {12345.0})
        # ... while the inputs are the same: an order confirmed since changes them
        order = self.make_order(self.customer, 500.0)
        order.action_confirm()
        self._assert_weeks(self._dashboard_forecast(), self._live_forecast())
        # so does the next prediction run (a new invoice), which stores anew
        self.make_invoice(self.customer, 700.0, days_ago=0, due_days=30)
        company.otc_forecast_cache = stored
        self._predictions()
        self.assertNotEqual(company.otc_forecast_cache["key"], stored["key"])
        self._assert_weeks(self._dashboard_forecast(), self._live_forecast())
