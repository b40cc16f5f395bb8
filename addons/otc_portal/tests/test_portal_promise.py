from datetime import timedelta

from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalPromise(OtcPortalHttpCommon):
    """Promising to pay from the portal."""

    def promise_form(self, moves, days=7, amount=None, company=None):
        data = {
            "company_id": (company or self.company).id,
            "promise_date": (self.today + timedelta(days=days)).isoformat()
            if isinstance(days, int)
            else days,
            "amount": str(
                sum(moves.mapped("amount_residual")) if amount is None else amount
            ),
        }
        for move in moves:
            data[f"doc_{move.id}"] = "on"
        return data

    def promises(self):
        return self.env["otc.promise"].search([("partner_id", "=", self.customer.id)])

    def test_promise_a_date(self):
        self.company.otc_portal_promise_horizon = 20
        self.login_a()
        page = self.get("/my/balance/promise")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'name="doc_{self.inv_old.id}"', page.text)
        self.assertNotIn(f'name="doc_{self.refund.id}"', page.text)
        self.assertNotIn(f'name="doc_{self.other_inv.id}"', page.text)
        response = self.post(
            "/my/balance/promise",
            self.promise_form(self.inv_old | self.inv_mid, days=20, amount="1200"),
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        promise = self.promises()
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.source, "portal")
        self.assertEqual(promise.move_ids, self.inv_old | self.inv_mid)
        self.assertEqual(promise.amount, 1200.0)
        self.assertEqual(promise.promise_date, self.today + timedelta(days=20))
        self.assertEqual(promise.collector_id, self.collector)
        self.assertEqual(promise.state, "open")
        # shown with its state; the invoices are out of dunning while it runs
        listing = self.get("/my/promises").text
        self.assertIn(promise.name, listing)
        self.assertIn("otc_promise_state", listing)
        self.assertIn(
            self.inv_old.id,
            self.env["otc.promise"]._valid_promise_move_ids(self.company),
        )

    def test_broken_promise_shows_as_such(self):
        self.login_a()
        self.post("/my/balance/promise", self.promise_form(self.inv_old, days=0))
        promise = self.promises()
        promise._check_promises(today=self.today + timedelta(days=30))
        self.assertEqual(promise.state, "broken")
        self.assertIn(">Broken<", self.get("/my/promises").text.replace("\n", ""))

    def test_bad_input_creates_nothing(self):
        self.company.otc_portal_promise_horizon = 30
        self.login_a()
        cases = [
            (
                "past date",
                self.promise_form(self.inv_old, days=-1),
                "cannot be in the past",
            ),
            (
                "beyond the horizon",
                self.promise_form(self.inv_old, days=31),
                "at the latest",
            ),
            (
                "not a date",
                self.promise_form(self.inv_old, days="31/12/2099"),
                "is not a date",
            ),
            ("zero", self.promise_form(self.inv_old, amount="0"), "more than zero"),
            (
                "negative",
                self.promise_form(self.inv_old, amount="-5"),
                "more than zero",
            ),
            (
                "over due",
                self.promise_form(self.inv_old, amount="1000.01"),
                "cannot promise more",
            ),
            (
                "another customer's invoice",
                self.promise_form(self.other_inv),
                "can no longer be paid",
            ),
            ("a credit note", self.promise_form(self.refund), "can no longer be paid"),
            (
                "no invoice",
                {
                    "company_id": self.company.id,
                    "promise_date": self.today.isoformat(),
                    "amount": "5",
                },
                "at least one invoice",
            ),
        ]
        for label, data, message in cases:
            with self.subTest(label):
                response = self.post("/my/balance/promise", data)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, self.error_of(response) or "")
        self.assertFalse(self.env["otc.promise"].search([]))

    def test_paid_or_already_promised_invoice(self):
        self.login_a()
        self.post("/my/balance/promise", self.promise_form(self.inv_old))
        response = self.post(
            "/my/balance/promise", self.promise_form(self.inv_old | self.inv_mid)
        )
        self.assertIn("already covered", self.error_of(response))
        payment = self.make_payment(self.customer, 500)
        (self.receivable(payment.move_id) | self.receivable(self.inv_mid)).reconcile()
        response = self.post(
            "/my/balance/promise", self.promise_form(self.inv_mid, amount="10")
        )
        self.assertIn("can no longer be paid", self.error_of(response))
        self.assertEqual(len(self.promises()), 1)

    def test_other_customer_anonymous_csrf(self):
        self.assert_login_redirect(self.get("/my/balance/promise"))
        self.login_b()
        response = self.post("/my/balance/promise", self.promise_form(self.inv_old))
        self.assertIn("can no longer be paid", self.error_of(response))
        self.assertNotIn(self.inv_old.name, response.text)
        self.login_a()
        response = self.post(
            "/my/balance/promise", self.promise_form(self.inv_old), csrf=False
        )
        self.assertEqual(response.status_code, 400)
        other = self.setup_other_company(name="Not Mine")["company"]
        self.assert_not_found(self.get(f"/my/balance/promise?company_id={other.id}"))
        self.assertFalse(self.env["otc.promise"].search([]))
        self.login_b()
        self.post("/my/balance/promise", self.promise_form(self.other_inv))
        self.login_a()
        self.assertNotIn(self.other_inv.name, self.get("/my/promises").text)
