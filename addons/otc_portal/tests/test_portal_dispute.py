from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalDispute(OtcPortalHttpCommon):
    """Disputing an invoice on the portal."""

    def dispute_form(self, **values):
        data = {
            "reason_id": self.reason.id,
            "scope": "whole",
            "amount": "",
            "message": "The delivery was short by two boxes.",
        }
        data.update(values)
        return data

    def disputes(self):
        return self.env["otc.dispute"].search([("move_id", "=", self.inv_old.id)])

    def test_form_for_own_open_invoice_only(self):
        self.login_a()
        page = self.get(f"/my/invoices/{self.inv_old.id}/dispute")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.reason.name, page.text)
        self.assert_not_found(self.get(f"/my/invoices/{self.other_inv.id}/dispute"))
        self.assert_not_found(self.get(f"/my/invoices/{self.refund.id}/dispute"))
        self.assert_not_found(self.get("/my/invoices/999999/dispute"))
        # the invoice page offers it
        invoice_page = self.get(self.inv_old.get_portal_url())
        self.assertIn("otc_dispute_btn", invoice_page.text)

    def test_anonymous_is_sent_to_login(self):
        self.assert_login_redirect(self.get(f"/my/invoices/{self.inv_old.id}/dispute"))
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form(), csrf=False
        )
        self.assert_login_redirect(response)
        self.assertFalse(self.disputes())

    def test_partial_dispute_with_attachment(self):
        self.login_a()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute",
            self.dispute_form(scope="partial", amount="250.50"),
            files=[
                ("attachments", ("delivery_note.txt", b"2 boxes missing", "text/plain"))
            ],
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        dispute = self.disputes()
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.disputed_amount, 250.5)
        self.assertEqual(dispute.reason_id, self.reason)
        self.assertEqual(dispute.source, "portal")
        self.assertEqual(dispute.contact_id, self.contact)
        self.assertEqual(
            dispute.owner_id, self.collector
        )  # company's default collector
        self.assertIn("short by two boxes", dispute.description)
        self.assertIn(self.contact, dispute.message_partner_ids)
        self.assertIn(self.collector.partner_id, dispute.message_partner_ids)
        message = dispute.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(message.author_id, self.contact)
        self.assertEqual(message.attachment_ids.name, "delivery_note.txt")
        self.assertEqual(message.attachment_ids.raw, b"2 boxes missing")
        self.assertTrue(
            response.headers["Location"].endswith(f"{dispute.access_url}?created=1")
        )
        # the collector has a follow-up activity; dunning leaves the invoice alone
        self.assertEqual(dispute.activity_ids.user_id, self.collector)
        # visible on the portal with its status
        page = self.get(dispute.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("otc_dispute_state", page.text)
        self.assertIn("o_portal_chatter", page.text)
        self.assertIn(dispute.name, self.get("/my/disputes").text)

    def test_whole_amount_by_default(self):
        self.login_a()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form()
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        self.assertEqual(self.disputes().disputed_amount, 1000.0)

    def test_bad_input_creates_nothing(self):
        self.login_a()
        big = (
            "attachments",
            ("big.bin", b"x" * (10 * 1024 * 1024 + 1), "application/octet-stream"),
        )
        cases = [
            (
                "zero",
                self.dispute_form(scope="partial", amount="0"),
                None,
                "more than zero",
            ),
            (
                "negative",
                self.dispute_form(scope="partial", amount="-10"),
                None,
                "more than zero",
            ),
            (
                "over due",
                self.dispute_form(scope="partial", amount="1000.01"),
                None,
                "at most",
            ),
            (
                "not an amount",
                self.dispute_form(scope="partial", amount="ten"),
                None,
                "is not an amount",
            ),
            ("no reason", self.dispute_form(reason_id=""), None, "reason"),
            ("unknown reason", self.dispute_form(reason_id="999999"), None, "reason"),
            (
                "too many files",
                self.dispute_form(),
                [("attachments", (f"f{i}.txt", b"x", "text/plain")) for i in range(6)],
                "at most 5 files",
            ),
            ("file too large", self.dispute_form(), [big], "too large"),
        ]
        for label, data, files, message in cases:
            with self.subTest(label):
                response = self.post(
                    f"/my/invoices/{self.inv_old.id}/dispute", data, files=files
                )
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, self.error_of(response) or "")
        self.assertFalse(self.disputes())

    def test_already_disputed_in_full(self):
        self.env["otc.dispute"].create(
            {
                "move_id": self.inv_old.id,
                "disputed_amount": 1000,
                "reason_id": self.reason.id,
            }
        )
        self.login_a()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form()
        )
        self.assertIn("already under dispute", self.error_of(response))
        self.assertEqual(len(self.disputes()), 1)

    def test_paid_invoice_cannot_be_disputed(self):
        payment = self.make_payment(self.customer, 1000)
        (self.receivable(payment.move_id) | self.receivable(self.inv_old)).reconcile()
        self.login_a()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form()
        )
        self.assertIn("already paid", self.error_of(response))
        self.assertFalse(self.disputes())

    def test_other_customer_and_csrf(self):
        self.login_b()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form()
        )
        self.assert_not_found(response)
        self.login_a()
        response = self.post(
            f"/my/invoices/{self.inv_old.id}/dispute", self.dispute_form(), csrf=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.disputes())

    def test_dispute_page_access(self):
        dispute = self.env["otc.dispute"].create(
            {
                "move_id": self.inv_old.id,
                "disputed_amount": 100,
                "reason_id": self.reason.id,
            }
        )
        self.login_a()
        self.assertEqual(self.get(dispute.access_url).status_code, 200)
        self.login_b()
        self.assert_not_found(self.get(dispute.access_url))
        self.assert_not_found(self.get(f"{dispute.access_url}?access_token=wrong"))
        self.assertNotIn(dispute.name, self.get("/my/disputes").text)
        self.logout()
        self.assert_not_found(self.get(dispute.access_url))
        # the emailed link of the dispute (its access token) works logged out
        token = dispute._portal_ensure_token()
        self.assertEqual(
            self.get(f"{dispute.access_url}?access_token={token}").status_code, 200
        )

    def test_customer_writes_in_the_conversation(self):
        dispute = self.env["otc.dispute"].create(
            {
                "move_id": self.inv_old.id,
                "disputed_amount": 100,
                "reason_id": self.reason.id,
            }
        )
        self.login_a()
        result = self.jsonrpc(
            "/mail/message/post",
            {
                "thread_model": "otc.dispute",
                "thread_id": dispute.id,
                "post_data": {
                    "body": "Here is the signed delivery note.",
                    "message_type": "comment",
                },
            },
        )
        self.assertIn("result", result, result.get("error"))
        message = dispute.message_ids.filtered(
            lambda m: "signed delivery note" in (m.body or "")
        )
        self.assertEqual(message.author_id, self.contact)
        # another customer cannot
        self.login_b()
        result = self.jsonrpc(
            "/mail/message/post",
            {
                "thread_model": "otc.dispute",
                "thread_id": dispute.id,
                "post_data": {"body": "intrusion", "message_type": "comment"},
            },
        )
        self.assertIn("error", result)
        self.assertFalse(
            dispute.message_ids.filtered(lambda m: "intrusion" in (m.body or ""))
        )

    def test_customer_is_emailed_when_resolved_or_rejected(self):
        self.login_a()
        self.post(
            f"/my/invoices/{self.inv_old.id}/dispute",
            self.dispute_form(scope="partial", amount="100"),
        )
        self.post(f"/my/invoices/{self.inv_mid.id}/dispute", self.dispute_form())
        resolved = self.disputes()
        rejected = self.env["otc.dispute"].search([("move_id", "=", self.inv_mid.id)])
        resolved.with_user(self.collector).action_resolve_credit_note()
        wizard = (
            self.env["otc.dispute.reject.wizard"]
            .with_user(self.collector)
            .create(
                {
                    "dispute_ids": rejected.ids,
                    "note": "Internal: customer is stalling",
                    "customer_message": "Our delivery records show all boxes were signed for.",
                }
            )
        )
        wizard.action_reject()
        for dispute, words in (
            (resolved, "accepted it"),
            (rejected, "could not accept it"),
        ):
            message = dispute.message_ids.filtered(
                lambda m, w=words: w in (m.body or "")
            )
            self.assertEqual(len(message), 1, dispute.name)
            self.assertEqual(message.partner_ids, self.contact)
            self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn("all boxes were signed for", rejected.message_ids[0].body)
        self.assertNotIn(
            "stalling", rejected.message_ids.filtered(lambda m: m.partner_ids).body
        )
        # the portal shows the decision, never the internal reason
        self.login_a()
        page = self.get(rejected.access_url).text
        self.assertIn("all boxes were signed for", page)
        self.assertNotIn("stalling", page)
        self.assertIn(resolved.credit_note_id.name, self.get(resolved.access_url).text)
