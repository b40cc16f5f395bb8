from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_returns import OtcReturnCommon


@tagged("post_install", "-at_install")
class TestReturnRefund(OtcReturnCommon):
    def credited_return(self, order, qty=1):
        ret = self.new_return(order, qty=qty, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        ret.with_user(self.clerk).action_credit()
        return ret

    def pay_by_bank(self, invoice):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()

    def test_refund_by_outgoing_payment(self):
        order = self.sell(qty=5)
        self.pay_by_bank(order.invoice_ids)
        ret = self.credited_return(order, qty=2)
        self.assertEqual(ret.settle_method, "refund", "company default")
        with self.assertRaises(AccessError):
            ret.with_user(self.salesman).action_refund()
        ret.with_user(self.clerk).action_refund()
        self.assertEqual(ret.state, "refunded")
        payment = ret.refund_payment_ids
        self.assertEqual(payment.payment_type, "outbound")
        self.assertAlmostEqual(payment.amount, 200)
        self.assertIn(ret.credit_note_ids.payment_state, ("paid", "in_payment"))
        ret.action_done()
        self.assertEqual(ret.state, "done")

    def test_nothing_to_refund_when_invoice_was_open(self):
        order = self.sell(qty=5)
        ret = self.credited_return(order)
        with self.assertRaises(UserError):
            ret.with_user(self.clerk).action_refund()
        self.assertEqual(ret.state, "credited")

    def test_kept_as_customer_credit(self):
        self.company.otc_return_settle_default = "credit"
        order = self.sell(qty=5)
        self.pay_by_bank(order.invoice_ids)
        ret = self.credited_return(order)
        self.assertEqual(ret.settle_method, "credit")
        ret.action_done()
        self.assertEqual(ret.state, "done")
        self.assertAlmostEqual(ret.credit_note_ids.amount_residual, 100)

    def test_replacement_delivered_at_no_charge(self):
        order = self.sell(qty=5)
        sol = order.order_line
        ret = self.new_return(order, qty=2, reason=self.reason_defective)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.receive(ret)
        self.assertEqual(sol.qty_delivered, 3)
        with self.assertRaises(AccessError):
            ret.with_user(self.salesman).action_replace()
        ret.with_user(self.clerk).action_replace()
        self.assertEqual(ret.state, "replaced")
        replacement = ret.replacement_picking_ids
        self.assertEqual(replacement.picking_type_code, "outgoing")
        self.assertEqual(replacement.move_ids.product_uom_qty, 2)
        self.validate(replacement)
        self.assertEqual(sol.qty_delivered, 5)
        self.assertEqual(sol.qty_to_invoice, 0, "no charge")
        self.assertFalse(ret.credit_note_ids)
        ret.action_done()
        self.assertEqual(ret.state, "done")

    def paid_online(self, order):
        """The order's invoice paid with the demo provider, and matched."""
        module = self.env["ir.module.module"]._get("payment_demo")
        if module.state != "installed":
            self.skipTest("payment_demo is not installed")
        provider = self.env["payment.provider"].sudo().search(
            [("code", "=", "demo"), ("company_id", "=", self.company.id)], limit=1
        ) or self.env.ref("payment.payment_provider_demo").sudo().copy(
            {"company_id": self.company.id}
        )
        provider.write(
            {
                "state": "test",
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        invoice = order.invoice_ids
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "amount": invoice.amount_total,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.customer.id,
                    "reference": f"OTC-RETURN-TX-{order.id}",
                    "invoice_ids": [(6, 0, invoice.ids)],
                }
            )
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        self.assertEqual(tx.state, "done", tx.state_message)
        self.assertTrue(tx.payment_id)
        # The test company's payment settings leave the match to be made.
        (tx.payment_id.move_id.line_ids | invoice.line_ids).filtered(
            lambda aml: (
                aml.account_id.account_type == "asset_receivable" and not aml.reconciled
            )
        ).reconcile()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        return tx

    def test_refund_through_demo_provider(self):
        order = self.sell(qty=5)
        tx = self.paid_online(order)
        ret = self.credited_return(order, qty=2)
        ret.with_user(self.clerk).action_refund()
        refund_tx = tx.child_transaction_ids
        self.assertEqual(refund_tx.operation, "refund")
        self.assertAlmostEqual(refund_tx.amount, -200)
        self.assertEqual(refund_tx.state, "done")
        self.assertTrue(refund_tx.payment_id)
        self.assertEqual(ret.refund_payment_ids, refund_tx.payment_id)
        self.assertIn(ret.credit_note_ids.payment_state, ("paid", "in_payment"))
        self.assertEqual(ret.state, "refunded")

    def test_refund_confirmed_later_settles_the_credit_note(self):
        order = self.sell(qty=5)
        tx = self.paid_online(order)
        ret = self.credited_return(order, qty=2)
        note = ret.credit_note_ids
        # The provider answers later: the demo provider's immediate answer is
        # held back while the refund is requested.
        Transaction = type(self.env["payment.transaction"])
        with patch.object(Transaction, "_handle_notification_data", lambda *a: None):
            ret.with_user(self.clerk).action_refund()
        refund_tx = tx.child_transaction_ids
        self.assertEqual(refund_tx.operation, "refund")
        self.assertNotEqual(refund_tx.state, "done")
        self.assertEqual(refund_tx.otc_refund_credit_note_id, note)
        self.assertEqual(ret.state, "refunded")
        self.assertFalse(ret.refund_payment_ids)
        self.assertEqual(note.payment_state, "not_paid")
        self.assertAlmostEqual(note.amount_residual, 200)

        refund_tx._handle_notification_data(
            "demo", {"reference": refund_tx.reference, "simulated_state": "done"}
        )
        refund_tx._post_process()
        self.assertEqual(refund_tx.state, "done")
        self.assertTrue(refund_tx.payment_id)
        self.assertEqual(ret.refund_payment_ids, refund_tx.payment_id)
        self.assertIn(note.payment_state, ("paid", "in_payment"))
        self.assertTrue(
            ret.message_ids.filtered(
                lambda m: (
                    refund_tx.reference in (m.body or "") and "confirmed" in m.body
                )
            )
        )
