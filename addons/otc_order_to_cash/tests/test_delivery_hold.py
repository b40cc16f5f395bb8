from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .test_returns import OtcReturnCommon


@tagged("post_install", "-at_install")
class TestDeliveryHold(OtcReturnCommon):
    def test_held_customer_delivery_blocked_until_released(self):
        order = self.sell(qty=2, deliver=False, invoice=False)
        picking = order.picking_ids
        self.customer.with_company(self.company)._otc_set_hold("Cheque bounced")
        picking.invalidate_recordset()
        self.assertTrue(picking.otc_partner_on_hold)
        self.assertEqual(picking.otc_partner_hold_reason, "Cheque bounced")
        with self.assertRaisesRegex(UserError, "Cheque bounced"):
            self.validate(picking.with_user(self.stock_user))
        self.assertNotEqual(picking.state, "done")
        # Neither the warehouse nor a salesperson releases it.
        for user in (self.stock_user, self.salesman):
            with self.assertRaises(AccessError):
                picking.with_user(user).action_otc_release_hold()
            with self.assertRaises(AccessError):
                picking.with_user(user)._otc_release_hold("urgent")
        action = picking.with_user(self.credit_manager).action_otc_release_hold()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.credit_manager)
            .with_context(**action["context"])
        )
        wizard.reason = "Paid by wire today"
        wizard.save().action_release()
        self.assertEqual(picking.otc_hold_released_by_id, self.credit_manager)
        self.assertIn(
            "Paid by wire today",
            self.customer.message_ids[0].body,
            "logged on the customer",
        )
        self.validate(picking.with_user(self.stock_user))
        self.assertEqual(picking.state, "done")

    def test_release_needs_a_reason(self):
        order = self.sell(qty=1, deliver=False, invoice=False)
        self.customer.with_company(self.company)._otc_set_hold("Overdue")
        with self.assertRaises(UserError):
            order.picking_ids.with_user(self.credit_manager)._otc_release_hold(" ")

    def test_customer_not_on_hold_and_receipts_unaffected(self):
        order = self.sell(qty=3)
        self.assertEqual(order.picking_ids.state, "done")
        # Goods coming back from a held customer are not held.
        ret = self.new_return(order, qty=1)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.customer.with_company(self.company)._otc_set_hold("Overdue")
        self.receive(ret)
        self.assertEqual(ret.line_ids.qty_received, 1)
