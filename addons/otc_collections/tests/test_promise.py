from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestPromise(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.otc_promise_grace_days = 2
        cls.inv1 = cls.make_invoice(cls.customer, 600, days_ago=60)
        cls.inv2 = cls.make_invoice(cls.customer, 400, days_ago=50)

    def _promise(self, amount=1000.0, days=5, moves=None, user=None):
        env = self.env(user=user or self.collector)
        return env["otc.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [(6, 0, (moves or (self.inv1 | self.inv2)).ids)],
                "promise_date": self.today + timedelta(days=days),
                "amount": amount,
            }
        )

    def _pay(self, invoice, amount):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": amount})._create_payments()

    def test_recorded_and_protects_invoices(self):
        promise = self._promise()
        self.assertRegex(promise.name, r"^PTP/")
        self.assertAlmostEqual(promise.residual_at_promise, 1000)
        protected = self.env["otc.promise"]._valid_promise_move_ids(self.company)
        self.assertEqual(protected, {self.inv1.id, self.inv2.id})
        # After the date and the grace days, the invoices are no longer protected.
        later = self.today + timedelta(days=8)
        self.assertFalse(
            self.env["otc.promise"]._valid_promise_move_ids(self.company, later)
        )

    def test_kept_when_paid(self):
        promise = self._promise(amount=700)
        self._pay(self.inv1, 600)
        self._pay(self.inv2, 100)
        promise.invalidate_recordset()
        self.assertAlmostEqual(promise.paid_amount, 700)
        self.env["otc.promise"]._cron_check_promises()
        self.assertEqual(promise.state, "kept")

    def test_broken_after_grace_resumes_dunning_with_activity(self):
        promise = self._promise(amount=1000, days=1)
        self._pay(self.inv1, 300)
        promise._check_promises(today=self.today + timedelta(days=3))
        self.assertEqual(promise.state, "open", "still within the grace days")
        promise._check_promises(today=self.today + timedelta(days=4))
        self.assertEqual(promise.state, "broken")
        activity = promise.sudo().activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("otc_collections.mail_activity_type_otc_promise_broken"),
        )
        self.assertFalse(
            self.env["otc.promise"]._valid_promise_move_ids(self.company),
            "a broken promise protects nothing",
        )

    def test_credit_note_is_not_a_payment(self):
        promise = self._promise(amount=400, days=0, moves=self.inv2)
        refund = self.inv2._reverse_moves(cancel=True)
        self.assertEqual(refund.state, "posted")
        promise.invalidate_recordset()
        self.assertAlmostEqual(promise.paid_amount, 0)

    def test_validation(self):
        with self.assertRaises(ValidationError):
            self._promise(amount=0)
        with self.assertRaises(ValidationError):
            self._promise(amount=1000.01)
        other = self.env["res.partner"].create({"name": "Other", "is_company": True})
        other_invoice = self.make_invoice(other, 50)
        with self.assertRaises(ValidationError):
            self._promise(amount=10, moves=other_invoice)

    def test_clerk_cannot_record_salesman_cannot_read(self):
        with self.assertRaises(AccessError):
            self._promise(user=self.clerk)
        with self.assertRaises(AccessError):
            self.env["otc.promise"].with_user(self.salesman).search([])
