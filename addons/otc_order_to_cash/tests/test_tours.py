"""Screens walked in a real browser (Chromium, headless), as people use them.

Each test prepares its data, runs a tour of ``static/tests/tours/`` as the
user of the role, and checks in the database what the clicks did. A tour that
cannot find one of its elements fails the test.
"""

from odoo.tests import HttpCase, tagged

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCreditTours(OtcCashCommon, HttpCase):
    def test_order_over_limit_goes_to_approval_and_is_approved(self):
        customer = self.env["res.partner"].create(
            {"name": "OTC Tour Customer", "is_company": True}
        )
        self.set_credit(customer, 1000, otc_credit_policy="approval")
        order = self.make_order(customer, 1500, user=self.salesman)
        self.assertEqual(order.user_id, self.salesman)

        self.start_tour("/odoo", "otc_credit_request_tour", login=self.salesman.login)
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft", "the salesperson could not confirm it")
        self.assertEqual(order.otc_credit_state, "pending")
        approval = order.otc_credit_approval_ids
        self.assertEqual(approval.state, "pending")

        self.start_tour(
            "/odoo", "otc_credit_approve_tour", login=self.credit_manager.login
        )
        order.invalidate_recordset()
        approval.invalidate_recordset()
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.decided_by_id, self.credit_manager)
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestCashTours(OtcCashCommon, HttpCase):
    def test_clerk_accepts_a_suggestion_and_undoes_it(self):
        Partner = self.env["res.partner"]
        dupont = Partner.create({"name": "Tour Dupont SA", "is_company": True})
        rossi = Partner.create({"name": "Tour Rossi SpA", "is_company": True})
        invoice = self.make_invoice(dupont, 410.0, days_ago=10)
        self.make_invoice(rossi, 410.0, days_ago=20)
        line = self.make_line(410.0, label="OTC TOUR PAYMENT")
        line._otc_match_lines()
        self.assertEqual(line.otc_match_state, "suggested")
        self.assertIn(dupont, line.otc_suggestion_ids.partner_id)

        self.start_tour("/odoo", "otc_cash_accept_undo_tour", login=self.clerk.login)
        line.invalidate_recordset()
        invoice.invalidate_recordset()
        self.assertFalse(line.is_reconciled, "the reconciliation was undone")
        self.assertNotEqual(line.otc_match_state, "manual")
        self.assertEqual(invoice.payment_state, "not_paid")
        # the accept happened before the undo: both are in the entry's chatter
        chatter = " ".join(line.move_id.message_ids.mapped("preview"))
        self.assertIn(
            f"Payment applied by {self.clerk.name} to {invoice.name}", chatter
        )
        self.assertIn(f"Cash application undone by {self.clerk.name}", chatter)
