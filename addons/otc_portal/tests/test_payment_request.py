from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPaymentRequest(OtcPortalHttpCommon):
    """*Request Payment* from the backend and its signed, expiring link."""

    def send_request(self, moves=None, partner=None, **values):
        partner = partner or self.customer
        if moves:
            context = {"active_model": "account.move", "active_ids": moves.ids}
        else:
            context = {"active_model": "res.partner", "active_ids": partner.ids}
        wizard_form = Form(
            self.env["otc.payment.request.wizard"]
            .with_user(self.collector)
            .with_context(**context)
        )
        for name, value in values.items():
            setattr(wizard_form, name, value)
        wizard = wizard_form.save()
        wizard.action_send()
        return self.Request.search([("partner_id", "=", partner.id)], limit=1)

    def test_request_from_customer_preselects_its_open_documents(self):
        request = self.send_request(message="Please settle before the audit.")
        self.assertEqual(request.source, "collector")
        self.assertEqual(request.requested_by_id, self.collector)
        self.assertEqual(
            request.line_ids.move_id,
            self.inv_old | self.inv_mid | self.inv_new | self.refund,
        )
        self.assertEqual(request.amount, 1700.0)
        self.assertEqual(
            request.expires_on,
            self.today + timedelta(days=self.company.otc_portal_request_validity),
        )
        # The email went to the contact with the signed link...
        message = request.message_ids.filtered(
            lambda m: request.link_url in (m.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.partner_ids, request.contact_id)
        self.assertIn("Please settle before the audit.", message.body)
        self.assertIn(request.name, message.subject)
        # ... and the sending is noted on the customer.
        note = self.customer.message_ids.filtered(lambda m: request.name in m.body)
        self.assertTrue(note)
        self.assertIn("sent to", note[0].body)

    def test_request_from_selected_invoices(self):
        request = self.send_request(moves=self.inv_mid | self.refund)
        self.assertEqual(request.line_ids.move_id, self.inv_mid | self.refund)
        self.assertEqual(request.amount, 400.0)

    def test_request_from_worklist_line(self):
        self.env["otc.worklist"]._refresh(self.company)
        line = self.env["otc.worklist"].search([("partner_id", "=", self.customer.id)])
        self.assertTrue(line)
        wizard = (
            self.env["otc.payment.request.wizard"]
            .with_user(self.collector)
            .with_context(active_model="otc.worklist", active_ids=line.ids)
            .create({})
        )
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(
            wizard.move_ids, self.inv_old | self.inv_mid | self.inv_new | self.refund
        )

    def test_request_of_two_customers_is_refused(self):
        with self.assertRaises(UserError):
            self.env["otc.payment.request.wizard"].with_user(
                self.collector
            ).with_context(
                active_model="account.move",
                active_ids=(self.inv_old | self.other_inv).ids,
            ).default_get(["partner_id"])

    def test_salesperson_cannot_request_payment(self):
        with self.assertRaises(AccessError):
            self.env["otc.payment.request.wizard"].with_user(self.salesman).create(
                {"partner_id": self.customer.id}
            )

    def test_link_works_logged_out_and_logs_the_opening(self):
        request = self.send_request()
        link = request.link_url.split(self.base_url())[-1]
        self.assertIn("?token=", link)
        page = self.get(link)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertIn(self.inv_old.name, page.text)
        self.assertEqual(request.open_count, 1)
        self.assertTrue(request.opened_on)
        notes = self.customer.message_ids.filtered(
            lambda m: "opened by the customer" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        # Opening again counts, without a second note.
        self.get(link)
        self.assertEqual(request.open_count, 2)
        self.assertEqual(
            len(
                self.customer.message_ids.filtered(
                    lambda m: "opened by the customer" in (m.body or "")
                )
            ),
            1,
        )

    def test_link_pays_logged_out(self):
        request = self.send_request(moves=self.inv_old | self.inv_mid)
        token = request._otc_signed_token()
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": request.amount,
                "flow": "direct",
                "tokenization_requested": True,
                "landing_route": "/elsewhere",
                "is_validation": False,
                "access_token": token,
            },
        )
        self.assertIn("result", result, result.get("error"))
        tx = request.transaction_ids
        self.assertEqual(tx.partner_id, request.contact_id)
        self.assertFalse(tx.tokenize)
        self.assertEqual(tx.landing_route, f"{request.access_url}?token={token}")
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        self.assertEqual(request.state, "paid")
        self.assertFalse(self.inv_old.amount_residual)
        self.assertFalse(self.inv_mid.amount_residual)
        self.assertIn(
            "Paid. Thank you!", self.get(f"{request.access_url}?token={token}").text
        )

    def test_saved_cards_are_not_offered_to_a_link(self):
        request = self.send_request(moves=self.inv_old)
        token = request._otc_signed_token()
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            {
                "provider_id": self.provider.id,
                "payment_method_id": None,
                "token_id": 1,
                "amount": request.amount,
                "flow": "token",
                "tokenization_requested": False,
                "landing_route": "/",
                "is_validation": False,
                "access_token": token,
            },
        )
        self.assertIn("Log in", result["error"]["data"]["message"])
        self.assertFalse(request.transaction_ids)

    def test_link_grants_nothing_else(self):
        request = self.send_request(moves=self.inv_old)
        other = self.send_request(moves=self.other_inv, partner=self.other_customer)
        token = request._otc_signed_token()
        # Not another request, not the invoices, not the account pages.
        self.assert_not_found(self.get(f"{other.access_url}?token={token}"))
        response = self.get(f"/my/invoices/{self.inv_old.id}?token={token}")
        self.assertNotEqual(response.status_code, 200)
        response = self.get(f"/my/invoices/{self.inv_old.id}?access_token={token}")
        self.assertNotEqual(response.status_code, 200)
        self.assert_login_redirect(self.get(f"/my/balance?token={token}"))
        # The record's raw access token is not a link token either.
        self.assert_not_found(
            self.get(f"{request.access_url}?token={request.access_token}")
        )
        self.assert_not_found(self.get(f"{request.access_url}?token={token[:-2]}xx"))

    def test_expired_link(self):
        request = self.send_request(moves=self.inv_old)
        token = request._otc_signed_token()
        request.sudo().expires_on = self.today - timedelta(days=1)
        page = self.get(f"{request.access_url}?token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("expired on", page.text)
        self.assertNotIn("o_payment_form", page.text)
        result = self.jsonrpc(
            f"/my/payment_requests/{request.id}/transaction",
            {
                "amount": request.amount,
                "access_token": token,
                "flow": "direct",
                "provider_id": self.provider.id,
                "payment_method_id": self.provider.payment_method_ids[:1].id,
                "token_id": None,
                "tokenization_requested": False,
                "landing_route": "/",
                "is_validation": False,
            },
        )
        self.assertIn("expired", result["error"]["data"]["message"])
        self.assertFalse(request.transaction_ids)

    def test_cancelled_request_revokes_the_link(self):
        request = self.send_request(moves=self.inv_old)
        token = request._otc_signed_token()
        request.with_user(self.collector).action_cancel()
        self.assert_not_found(self.get(f"{request.access_url}?token={token}"))

    def test_customer_logged_in_sees_its_request_without_token(self):
        request = self.send_request(moves=self.inv_old)
        self.login_a()
        page = self.get(request.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        # Only openings of the emailed link are counted.
        self.assertEqual(request.open_count, 0)
        self.login_b()
        self.assert_not_found(self.get(request.access_url))

    def test_abandoned_portal_choices_are_dropped(self):
        abandoned = self.plan_request({self.inv_old.id: None}, source="portal")
        recent = self.plan_request({self.inv_mid.id: None}, source="portal")
        sent = self.send_request(moves=self.inv_new)
        self.env.cr.execute(
            "UPDATE otc_payment_request SET create_date = now() - interval '8 days'"
            " WHERE id IN %s",
            [(abandoned.id, sent.id)],
        )
        self.Request.invalidate_model(["create_date"])
        self.Request._gc_abandoned_portal_selections()
        self.assertFalse(abandoned.exists())
        self.assertTrue(recent.exists())
        self.assertTrue(sent.exists())
