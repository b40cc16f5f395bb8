from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalTours(OtcPortalHttpCommon):
    """The portal in a real browser (Chromium), paying with the demo provider."""

    def test_tour_pay_three_invoices(self):
        self.start_tour("/my/balance/pay", "otc_portal_pay_three", login="otc_portal_a")
        request = self.Request.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(request.state, "paid")
        payment = request.payment_ids
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 1800.0)
        for move in (self.inv_old, self.inv_mid, self.inv_new):
            self.assertFalse(move.amount_residual, move.name)
        self.assertEqual(self.refund.amount_residual, 100.0)

    def test_tour_partial_dispute_with_attachment(self):
        self.start_tour(
            f"/my/invoices/{self.inv_old.id}/dispute",
            "otc_portal_dispute_partial",
            login="otc_portal_a",
        )
        dispute = self.env["otc.dispute"].search([("move_id", "=", self.inv_old.id)])
        self.assertEqual(dispute.disputed_amount, 120.0)
        self.assertEqual(dispute.source, "portal")
        attachment = dispute.message_ids.attachment_ids
        self.assertEqual(attachment.name, "delivery_note.txt")

    def test_tour_promise_a_date(self):
        self.start_tour(
            "/my/balance/promise", "otc_portal_promise", login="otc_portal_a"
        )
        promise = self.env["otc.promise"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(promise.move_ids, self.inv_old)
        self.assertEqual(promise.amount, 1000.0)
        self.assertEqual(promise.source, "portal")

    def test_tour_download_statement(self):
        self.start_tour(
            "/my/balance/statement", "otc_portal_statement", login="otc_portal_a"
        )

    def test_tour_payment_request_link_logged_out(self):
        wizard = (
            self.env["otc.payment.request.wizard"]
            .with_user(self.collector)
            .with_context(
                active_model="account.move",
                active_ids=(self.inv_old | self.inv_mid).ids,
            )
            .create({"message": "Thank you for settling these two invoices."})
        )
        wizard.action_send()
        request = self.Request.search([("partner_id", "=", self.customer.id)])
        link = request.link_url.split(self.base_url())[-1]
        self.start_tour(link, "otc_portal_request_link", login=None)
        self.assertEqual(request.state, "paid")
        self.assertFalse(self.inv_old.amount_residual)
        self.assertFalse(self.inv_mid.amount_residual)
        # opened from the email, then back on it after paying
        self.assertTrue(request.opened_on)
        self.assertGreaterEqual(request.open_count, 1)
