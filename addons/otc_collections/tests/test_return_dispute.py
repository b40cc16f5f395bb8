from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.test_returns import OtcReturnCommon


@tagged("post_install", "-at_install")
class TestReturnResolvesDispute(OtcReturnCommon):
    def test_credit_of_returned_goods_resolves_open_dispute(self):
        order = self.sell(qty=5)
        invoice = order.invoice_ids
        dispute = self.env["otc.dispute"].create(
            {
                "move_id": invoice.id,
                "disputed_amount": 200,
                "reason_id": self.env.ref(
                    "otc_collections.otc_dispute_reason_price"
                ).id,
                "owner_id": self.collector.id,
            }
        )
        ret = self.new_return(order, qty=2, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        credit_note = ret.with_user(self.clerk).action_credit()
        self.assertEqual(dispute.state, "resolved")
        self.assertEqual(dispute.credit_note_id, credit_note)
        self.assertEqual(dispute.otc_return_id, ret)
        self.assertEqual(ret.dispute_ids, dispute)
        self.assertFalse(dispute.activity_ids)

    def test_dispute_of_another_invoice_stays_open(self):
        order = self.sell(qty=5)
        other = self.make_invoice(self.customer, 100)
        dispute = self.env["otc.dispute"].create(
            {
                "move_id": other.id,
                "disputed_amount": 50,
                "reason_id": self.env.ref(
                    "otc_collections.otc_dispute_reason_price"
                ).id,
            }
        )
        ret = self.new_return(order, qty=1, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        ret.with_user(self.clerk).action_credit()
        self.assertEqual(dispute.state, "open")
