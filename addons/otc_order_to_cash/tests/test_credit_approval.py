from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditApproval(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_credit(cls.customer, 1000, otc_credit_policy="approval")

    def _request(self, amount=1500):
        order = self.make_order(self.contact, amount, user=self.salesman)
        order.with_user(self.salesman).action_confirm()
        return order

    def test_request_created_routed_and_logged(self):
        order = self._request()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.otc_credit_state, "pending")
        approval = order.otc_credit_approval_ids
        self.assertEqual(len(approval), 1)
        self.assertEqual(approval.state, "pending")
        self.assertEqual(approval.partner_id, self.customer)
        self.assertAlmostEqual(approval.amount, 1500)
        self.assertIn("over its credit limit", approval.reasons)
        self.assertEqual(approval.sudo().activity_ids.user_id, self.credit_manager)
        self.assertEqual(
            approval.sudo().activity_ids.activity_type_id,
            self.env.ref("otc_order_to_cash.mail_activity_type_otc_credit_approval"),
        )
        self.assertTrue(
            any(
                "Waiting for credit approval" in b
                for b in order.message_ids.mapped("body")
            )
        )
        # Confirming again does not pile up requests.
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(len(order.otc_credit_approval_ids), 1)

    def test_request_records_the_exposure_as_judged(self):
        # 400 open receivable, 100 in a draft invoice, 300 of another
        # confirmed order not invoiced yet: the request shows the same figures
        # as the customer form, and the exposure before its own order
        self.make_invoice(self.customer, 400, days_ago=40, due_days=30)
        self.make_invoice(self.customer, 100, post=False)
        self.make_order(self.customer, 300).action_confirm()
        order = self._request(amount=500)
        approval = order.otc_credit_approval_ids
        partner = self.customer.with_company(self.company)
        self.assertAlmostEqual(approval.receivable, 400)
        self.assertAlmostEqual(approval.draft_invoices, 100)
        self.assertAlmostEqual(approval.unbilled_orders, 300)
        self.assertAlmostEqual(approval.overdue_amount, 400)
        self.assertAlmostEqual(approval.exposure, 800)
        self.assertAlmostEqual(approval.credit_limit, 1000)
        self.assertAlmostEqual(approval.available_credit, 200)
        for name, partner_field in (
            ("receivable", "otc_exposure_receivable"),
            ("draft_invoices", "otc_exposure_draft_invoices"),
            ("unbilled_orders", "otc_exposure_unbilled_orders"),
            ("overdue_amount", "otc_overdue_amount"),
        ):
            self.assertAlmostEqual(approval[name], partner[partner_field])
        # the pending order is not exposure yet: the form agrees
        self.assertAlmostEqual(partner.otc_exposure, 800)
        self.assertAlmostEqual(partner.otc_available_credit, 200)

    def test_interactive_request_returns_notification(self):
        order = self.make_order(self.customer, 1500)
        action = order.with_context(otc_credit_interactive=True).action_confirm()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(order.otc_credit_state, "pending")

    def test_approve_confirms_order(self):
        order = self._request()
        approval = order.otc_credit_approval_ids
        approval.with_user(self.credit_manager).action_approve()
        self.assertEqual(approval.state, "approved")
        self.assertAlmostEqual(approval.approved_amount, 1500)
        self.assertEqual(approval.decided_by_id, self.credit_manager)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "approved")
        self.assertFalse(approval.sudo().activity_ids, "the review activity is done")

    def test_reject_with_reason(self):
        order = self._request()
        approval = order.otc_credit_approval_ids
        action = approval.with_user(self.credit_manager).action_reject()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.credit_manager)
            .with_context(**action["context"])
            .create({"reason": "Too many unpaid invoices"})
        )
        wizard.action_reject()
        self.assertEqual(approval.state, "rejected")
        self.assertEqual(approval.rejection_reason, "Too many unpaid invoices")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.otc_credit_state, "rejected")
        self.assertTrue(
            any(
                "Too many unpaid invoices" in b
                for b in order.message_ids.mapped("body")
            )
        )
        with self.assertRaises(UserError):
            approval.with_user(self.credit_manager)._otc_reject("again")
        # Trying again makes a new request.
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(len(order.otc_credit_approval_ids), 2)
        self.assertEqual(order.otc_credit_state, "pending")

    def test_reject_needs_reason(self):
        approval = self._request().otc_credit_approval_ids
        with self.assertRaises(UserError):
            approval.with_user(self.credit_manager)._otc_reject("  ")

    def test_salesman_cannot_approve_or_reject(self):
        approval = self._request().otc_credit_approval_ids
        with self.assertRaises(AccessError):
            approval.with_user(self.salesman).action_approve()
        with self.assertRaises(AccessError):
            approval.with_user(self.salesman).action_reject()
        with self.assertRaises(AccessError):
            approval.with_user(self.collector).action_approve()
        self.assertEqual(approval.state, "pending")

    def test_approval_covers_approved_amount_only(self):
        order = self._request(1500)
        approval = order.otc_credit_approval_ids
        approval.with_user(self.credit_manager).action_approve()
        self.assertEqual(order.state, "sale")
        # Back to quotation, increased: the approval does not cover it.
        order._action_cancel()
        order.action_draft()
        order.order_line.price_unit = 1800
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.otc_credit_state, "pending")
        new_request = order.otc_credit_approval_ids.filtered(
            lambda a: a.state == "pending"
        )
        self.assertAlmostEqual(new_request.amount, 1800)
        # Lower than approved: the first approval still covers it.
        new_request.sudo().state = "cancelled"
        order.order_line.price_unit = 1400
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "approved")

    def test_increase_after_approval_checked_again(self):
        order = self._request(1500)
        order.otc_credit_approval_ids.with_user(self.credit_manager).action_approve()
        with self.assertRaisesRegex(UserError, "raises a confirmed order"):
            order.write(
                {
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "price_unit": 100,
                                "tax_id": [],
                            }
                        )
                    ]
                }
            )

    def test_salesman_sees_own_requests_only(self):
        mine = self._request()
        other_salesman = new_test_user(
            self.env,
            "otc_salesman_2",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )
        other = self.make_order(self.customer, 2000, user=other_salesman)
        other.with_user(other_salesman).action_confirm()
        visible = self.env["otc.credit.approval"].with_user(self.salesman).search([])
        self.assertEqual(visible, mine.otc_credit_approval_ids)
        self.assertEqual(
            self.env["otc.credit.approval"].with_user(self.clerk).search_count([]), 2
        )
