from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.account_payment.tests.common import AccountPaymentCommon

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditPortal(OtcCreditCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            "otc_portal_customer",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            password="otc_portal_customer",
        )
        cls.set_credit(cls.customer, 1000)

    def _sign(self, order):
        self.authenticate("otc_portal_customer", "otc_portal_customer")
        order._portal_ensure_token()
        return self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {
                "access_token": order.access_token,
                "name": "Buyer",
                "signature": "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=",
            },
        )

    def test_portal_signature_waits_for_approval(self):
        # Even under the "block" policy: the customer signed, so it waits.
        order = self.make_order(self.contact, 1500)
        order.require_payment = False
        order.require_signature = True
        order.action_quotation_sent()
        result = self._sign(order)
        self.assertNotIn("error", result)
        order.invalidate_recordset()
        self.assertEqual(order.state, "sent")
        self.assertEqual(order.otc_credit_state, "pending")
        approval = order.otc_credit_approval_ids
        self.assertTrue(approval.customer_initiated)
        self.assertEqual(approval.sudo().activity_ids.user_id, self.credit_manager)
        # (The portal page saying so is otc_portal's, tested there.)
        # Approved: the order is confirmed.
        approval.with_user(self.credit_manager).action_approve()
        self.assertEqual(order.state, "sale")

    def test_portal_signature_within_limit_confirms(self):
        order = self.make_order(self.contact, 500)
        order.require_payment = False
        order.require_signature = True
        order.action_quotation_sent()
        self._sign(order)
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.otc_credit_approval_ids)

    def test_portal_context_cannot_skip_check(self):
        order = self.make_order(self.contact, 1500)
        order.require_payment = False
        order.require_signature = True
        order.action_quotation_sent()
        self.authenticate("otc_portal_customer", "otc_portal_customer")
        order._portal_ensure_token()
        self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {
                "access_token": order.access_token,
                "name": "Buyer",
                "signature": "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=",
                "context": {"otc_skip_credit_check": True},
            },
        )
        order.invalidate_recordset()
        self.assertNotEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "pending")


@tagged("post_install", "-at_install")
class TestCreditPayment(AccountPaymentCommon, OtcCreditCommon):
    def test_paid_online_waits_for_approval(self):
        self.set_credit(self.customer, 1000)
        order = self.make_order(self.contact, 1500)
        self.amount = order.amount_total
        self.currency = order.currency_id
        self.partner = self.contact
        tx = self._create_transaction(
            flow="redirect",
            sale_order_ids=[order.id],
            state="done",
            reference="OTC-TX-1",
        )
        with self.mocked_get_payment_method_information():
            tx._post_process()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.otc_credit_state, "pending")
        self.assertTrue(order.otc_credit_approval_ids.customer_initiated)

    def test_paid_online_within_limit_confirms(self):
        self.set_credit(self.customer, 5000)
        order = self.make_order(self.contact, 1500)
        self.amount = order.amount_total
        self.currency = order.currency_id
        self.partner = self.contact
        tx = self._create_transaction(
            flow="redirect",
            sale_order_ids=[order.id],
            state="done",
            reference="OTC-TX-2",
        )
        with self.mocked_get_payment_method_information():
            tx._post_process()
        self.assertEqual(order.state, "sale")
