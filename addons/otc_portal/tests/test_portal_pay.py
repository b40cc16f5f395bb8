from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalPay(OtcPortalHttpCommon):
    """Invoices to pay: choice, checks, one transaction, exact reconciliation."""

    def pay_form(self, docs, total=None, company=None, currency=None):
        data = {
            "company_id": (company or self.company).id,
            "currency_id": (currency or self.company.currency_id).id,
            "total": "" if total is None else total,
        }
        for move, amount in docs.items():
            data[f"doc_{move.id}"] = "on"
            data[f"amount_{move.id}"] = "" if amount is None else amount
        return data

    def transaction_params(self, request, **overrides):
        params = {
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "token_id": None,
            "amount": request.amount,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/somewhere/else",
            "is_validation": False,
            "access_token": None,
            "csrf_token": self.csrf(),
        }
        params.update(overrides)
        return params

    def pay(self, request, state="done", **overrides):
        """Pay ``request`` through its transaction route and the demo provider."""
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            self.transaction_params(request, **overrides),
        )
        self.assertIn("result", result, result.get("error"))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", result["result"]["reference"])]
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": state}
        )
        tx._post_process()
        return tx

    # ------------------------------------------------------------------

    def test_page_lists_own_open_documents_only(self):
        self.login_a()
        page = self.get("/my/balance/pay")
        self.assertEqual(page.status_code, 200)
        for move in (self.inv_old, self.inv_mid, self.inv_new, self.refund):
            self.assertIn(f'name="doc_{move.id}"', page.text)
        self.assertNotIn(f'name="doc_{self.other_inv.id}"', page.text)
        self.assertNotIn(self.other_inv.name, page.text)

    def test_anonymous_is_sent_to_login(self):
        self.assert_login_redirect(self.get("/my/balance/pay"))

    def test_choose_and_pay_three_invoices_with_a_credit_note(self):
        self.login_a()
        docs = {self.inv_old: None, self.inv_mid: None, self.inv_new: None}
        docs[self.refund] = None
        response = self.post("/my/balance/pay", self.pay_form(docs))
        self.assertEqual(response.status_code, 303, self.error_of(response))
        request = self.Request.search([("partner_id", "=", self.customer.id)])
        self.assertTrue(response.headers["Location"].endswith(request.access_url))
        self.assertEqual(request.source, "portal")
        self.assertEqual(request.amount, 1700.0)
        self.assertEqual(request.credit_total, 100.0)
        page = self.get(request.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)

        tx = self.pay(request)
        self.assertEqual(tx.state, "done")
        self.assertEqual(
            tx.invoice_ids, self.inv_old | self.inv_mid | self.inv_new | self.refund
        )
        payment = tx.payment_id
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 1700.0)
        for move in (self.inv_old, self.inv_mid, self.inv_new, self.refund):
            self.assertIn(move.payment_state, ("paid", "in_payment"), move.name)
            self.assertFalse(move.amount_residual, move.name)
        # One payment, reconciled with exactly these documents.
        pay_lines = self.receivable(payment.move_id)
        matched = (
            pay_lines.matched_debit_ids.debit_move_id
            | pay_lines.matched_credit_ids.credit_move_id
        ).move_id
        self.assertEqual(
            matched, self.inv_old | self.inv_mid | self.inv_new | self.refund
        )
        self.assertFalse(sum(pay_lines.mapped("amount_residual")))
        self.assertEqual(request.state, "paid")
        self.assertEqual(self.other_inv.amount_residual, 700.0)
        # The landing route is ours, whatever the browser sent.
        self.assertEqual(tx.landing_route, request.access_url)

    def test_amount_per_invoice_is_settled_exactly(self):
        # 400 of the oldest, 200 of the middle one, the credit note deducted:
        # reconciling all at once would pay the oldest first instead.
        request = self.plan_request(
            {self.inv_old.id: 400.0, self.inv_mid.id: 200.0, self.refund.id: None},
            source="portal",
        )
        self.assertEqual(request.amount, 500.0)
        self.login_a()
        self.pay(request)
        self.assertEqual(self.inv_old.amount_residual, 600.0)
        self.assertEqual(self.inv_mid.amount_residual, 300.0)
        self.assertEqual(self.refund.amount_residual, 0.0)
        self.assertEqual(self.inv_new.amount_residual, 300.0)
        self.assertEqual(len(request.payment_ids), 1)

    def test_lower_total_pays_the_oldest_first(self):
        self.login_a()
        response = self.post(
            "/my/balance/pay",
            self.pay_form(
                {self.inv_old: None, self.inv_mid: None, self.inv_new: None},
                total="1200",
            ),
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        request = self.Request.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            {line.move_id: line.amount for line in request.line_ids},
            {self.inv_old: 1000.0, self.inv_mid: 200.0},
        )
        self.pay(request)
        self.assertEqual(self.inv_old.amount_residual, 0.0)
        self.assertEqual(self.inv_mid.amount_residual, 300.0)
        self.assertEqual(self.inv_new.amount_residual, 300.0)

    def test_failed_or_cancelled_payment_leaves_documents_open(self):
        for state in ("cancel", "error"):
            with self.subTest(state=state):
                request = self.plan_request({self.inv_old.id: None}, source="portal")
                self.login_a()
                tx = self.pay(request, state=state)
                self.assertEqual(tx.state, state)
                self.assertFalse(tx.payment_id)
                self.assertEqual(self.inv_old.amount_residual, 1000.0)
                self.assertEqual(request.state, "open")
                page = self.get(request.access_url)
                self.assertIn("otc_last_tx_failed", page.text)
        # ... and the customer can try again at once.
        self.pay(request)
        self.assertEqual(self.inv_old.amount_residual, 0.0)

    def test_invoice_paid_in_between_is_refused(self):
        request = self.plan_request(
            {self.inv_old.id: None, self.inv_mid.id: None}, source="portal"
        )
        # Someone pays the middle invoice by bank transfer meanwhile.
        payment = self.make_payment(self.customer, 500)
        (self.receivable(payment.move_id) | self.receivable(self.inv_mid)).reconcile()
        self.login_a()
        page = self.get(request.access_url)
        self.assertNotIn("o_payment_form", page.text)
        self.assertIn("paid or changed in the meantime", page.text)
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            self.transaction_params(request),
        )
        self.assertIn("error", result)
        self.assertIn("nothing was charged", result["error"]["data"]["message"])
        self.assertFalse(request.transaction_ids)

    def test_second_payment_of_the_same_invoices_is_refused(self):
        first = self.plan_request({self.inv_old.id: None}, source="portal")
        second = self.plan_request(
            {self.inv_old.id: None, self.inv_mid.id: None}, source="portal"
        )
        self.login_a()
        result = self.jsonrpc(
            f"/my/payment_requests/{first.id}/transaction",
            self.transaction_params(first),
        )
        self.assertIn("result", result)
        tx = first.transaction_ids
        tx._set_pending()
        result = self.jsonrpc(
            f"/my/payment_requests/{second.id}/transaction",
            self.transaction_params(second),
        )
        self.assertIn("already in progress", result["error"]["data"]["message"])
        self.assertFalse(second.transaction_ids)
        # The pay page shows it and does not let it be ticked.
        page = self.get("/my/balance/pay")
        self.assertIn("Payment in progress", page.text)
        response = self.post("/my/balance/pay", self.pay_form({self.inv_old: None}))
        self.assertIn("already in progress", self.error_of(response))

    def test_tampered_amount_is_refused(self):
        request = self.plan_request({self.inv_old.id: None}, source="portal")
        self.login_a()
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            self.transaction_params(request, amount=1.0),
        )
        self.assertIn("does not match", result["error"]["data"]["message"])
        self.assertFalse(request.transaction_ids)

    def test_unknown_transaction_parameters_are_refused(self):
        request = self.plan_request({self.inv_old.id: None}, source="portal")
        self.login_a()
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            self.transaction_params(request, partner_id=self.other_customer.id),
        )
        self.assertIn("error", result)
        self.assertFalse(request.transaction_ids)

    def test_bad_input_creates_nothing(self):
        self.login_a()
        cases = [
            ("negative amount", {self.inv_old: "-5"}, None, "more than zero"),
            ("zero amount", {self.inv_old: "0"}, None, "more than zero"),
            (
                "over the residual",
                {self.inv_old: "1000.01"},
                None,
                "cannot pay more than",
            ),
            ("not an amount", {self.inv_old: "12abc"}, None, "is not an amount"),
            ("too many decimals", {self.inv_old: "10.001"}, None, "too many decimals"),
            (
                "another customer's invoice",
                {self.other_inv: None},
                None,
                "can no longer be paid",
            ),
            (
                "credit notes only",
                {self.refund: None},
                None,
                "credit notes are deducted",
            ),
            ("nothing ticked", {}, None, "at least one invoice"),
            ("total over", {self.inv_mid: None}, "600", "cannot pay more than"),
            ("total zero", {self.inv_mid: None}, "0", "more than zero"),
            ("total negative", {self.inv_mid: None}, "-1", "more than zero"),
            (
                "total under typed amounts",
                {self.inv_old: "300", self.inv_mid: None},
                "200",
                "pay at least",
            ),
        ]
        for label, docs, total, message in cases:
            with self.subTest(label):
                response = self.post("/my/balance/pay", self.pay_form(docs, total))
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, self.error_of(response) or "")
                self.assertNotIn(self.other_inv.name, response.text)
        self.assertFalse(self.Request.search([]))

    def test_paid_invoice_cannot_be_chosen(self):
        payment = self.make_payment(self.customer, 500)
        (self.receivable(payment.move_id) | self.receivable(self.inv_mid)).reconcile()
        self.login_a()
        page = self.get("/my/balance/pay")
        self.assertNotIn(f'name="doc_{self.inv_mid.id}"', page.text)
        response = self.post("/my/balance/pay", self.pay_form({self.inv_mid: None}))
        self.assertIn("can no longer be paid", self.error_of(response))
        self.assertFalse(self.Request.search([]))

    def test_csrf_token_is_required(self):
        self.login_a()
        response = self.post(
            "/my/balance/pay", self.pay_form({self.inv_old: None}), csrf=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.Request.search([]))

    def test_foreign_company_or_currency_is_not_found(self):
        other = self.setup_other_company(name="Elsewhere")["company"]
        self.login_a()
        response = self.post(
            "/my/balance/pay", self.pay_form({self.inv_old: None}, company=other)
        )
        self.assert_not_found(response)
        response = self.post(
            "/my/balance/pay",
            {
                "company_id": self.company.id,
                "currency_id": "abc",
                f"doc_{self.inv_old.id}": "on",
            },
        )
        self.assert_not_found(response)
        self.assertFalse(self.Request.search([]))

    def test_one_transaction_per_currency(self):
        code = "EUR" if self.company.currency_id.name != "EUR" else "GBP"
        eur = self.setup_other_currency(code, rates=[("2020-01-01", 2.0)])
        inv_eur = self.make_invoice(self.customer, 250, days_ago=20, currency=eur)
        self.login_a()
        page = self.get("/my/balance/pay")
        # two groups: the company currency first, EUR on its own tab
        self.assertIn(f"currency_id={eur.id}", page.text)
        self.assertNotIn(f'name="doc_{inv_eur.id}"', page.text)
        response = self.post(
            "/my/balance/pay", self.pay_form({self.inv_old: None, inv_eur: None})
        )
        self.assertIn("can no longer be paid", self.error_of(response))
        response = self.post(
            "/my/balance/pay", self.pay_form({inv_eur: None}, currency=eur)
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        request = self.Request.search([])
        self.assertEqual(request.currency_id, eur)
        tx = self.pay(request)
        self.assertEqual(tx.currency_id, eur)
        self.assertFalse(inv_eur.amount_residual)

    def test_other_customer_cannot_see_or_pay_the_request(self):
        request = self.plan_request({self.inv_old.id: None}, source="portal")
        self.login_b()
        self.assert_not_found(self.get(request.access_url))
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            self.transaction_params(request),
        )
        self.assertIn("not valid", result["error"]["data"]["message"])
        self.assertFalse(request.transaction_ids)
        # An id that does not exist answers the same.
        self.assert_not_found(self.get("/my/payment_requests/999999"))

    def test_anonymous_and_bad_token_are_not_found(self):
        request = self.plan_request({self.inv_old.id: None}, source="portal")
        self.assert_not_found(self.get(request.access_url))
        self.assert_not_found(self.get(f"{request.access_url}?token=abc"))
        self.assert_not_found(
            self.get(f"{request.access_url}?token={request._portal_ensure_token()}")
        )

    def test_long_list_is_paged_and_the_choice_spans_pages(self):
        extra = self.env["account.move"]
        for i in range(101):
            extra |= self.make_invoice(
                self.customer, 10 + i, days_ago=100 + i, post=False
            )
        extra.action_post()
        self.login_a()
        first = self.get("/my/balance/pay")
        self.assertEqual(first.text.count('class="otc_pay_row'), 100)
        self.assertIn("/my/balance/pay/page/2", first.text)
        second = self.get(
            f"/my/balance/pay/page/2?company_id={self.company.id}"
            f"&currency_id={self.company.currency_id.id}&filterby=all&search="
        )
        self.assertEqual(second.text.count('class="otc_pay_row'), 105 - 100)
        # the oldest are first; the form of page 2 carries the choice of page 1
        oldest = extra.sorted("invoice_date_due")[0]
        self.assertIn(f'name="doc_{oldest.id}"', first.text)
        self.assertIn(f'name="doc_{self.inv_new.id}"', second.text)
        response = self.post(
            "/my/balance/pay", self.pay_form({oldest: None, self.inv_new: "100"})
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        request = self.Request.search([])
        self.assertEqual(
            {line.move_id: line.amount for line in request.line_ids},
            {oldest: oldest.amount_residual, self.inv_new: 100.0},
        )

    def test_filter_and_search(self):
        self.login_a()
        overdue = self.get(
            f"/my/balance/pay?company_id={self.company.id}"
            f"&currency_id={self.company.currency_id.id}&filterby=overdue"
        ).text
        self.assertIn(f'name="doc_{self.inv_old.id}"', overdue)
        self.assertNotIn(f'name="doc_{self.inv_new.id}"', overdue)
        found = self.get(
            f"/my/balance/pay?company_id={self.company.id}"
            f"&currency_id={self.company.currency_id.id}&search={self.inv_mid.name}"
        ).text
        self.assertIn(f'name="doc_{self.inv_mid.id}"', found)
        self.assertNotIn(f'name="doc_{self.inv_old.id}"', found)

    def test_pay_all_overdue(self):
        self.login_a()
        page = self.get("/my/balance/pay")
        self.assertIn("Pay all overdue (2,", page.text)
        response = self.post(
            "/my/balance/pay",
            {
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "scope": "overdue",
                # ids sent along are ignored: the server takes the overdue ones
                f"doc_{self.other_inv.id}": "on",
            },
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        request = self.Request.search([])
        self.assertEqual(request.line_ids.move_id, self.inv_old | self.inv_mid)
        self.assertEqual(request.amount, 1500.0)
