from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditContextKeys(OtcCreditCommon, HttpCase):
    """Context keys and writes sent by a caller cannot get round the credit
    check: a salesperson calls the server over JSON-RPC as the web client
    would, with the keys the check reads set in its context."""

    def call(self, model, method, args, context=None, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": dict(kwargs, context=dict(context or {})),
            },
        )

    def setUp(self):
        super().setUp()
        self.authenticate(self.salesman.login, self.salesman.login)

    def test_rpc_cannot_record_a_warning_as_passed(self):
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800, user=self.salesman)
        self.call(
            "sale.order",
            "action_confirm",
            [order.ids],
            context={"otc_credit_state_on_confirm": "ok"},
        )
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "warning")

    def test_rpc_cannot_turn_a_block_into_a_customer_request(self):
        self.set_credit(self.customer, 500)
        order = self.make_order(self.customer, 800, user=self.salesman)
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call(
                "sale.order",
                "action_confirm",
                [order.ids],
                context={"otc_customer_confirmation": True},
            )
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.otc_credit_approval_ids)
        # The same keys set by a caller over the ORM are ignored as well.
        with self.assertRaises(UserError):
            order.with_user(self.salesman).with_context(
                otc_customer_confirmation=True, otc_credit_checked=True
            ).action_confirm()
        self.assertFalse(order.otc_credit_approval_ids)

    def test_writing_the_state_is_checked(self):
        self.set_credit(self.customer, 500)
        order = self.make_order(self.customer, 800, user=self.salesman)
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call("sale.order", "write", [order.ids, {"state": "sale"}])
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call(
                "sale.order",
                "write",
                [order.ids, {"state": "sale"}],
                context={"otc_credit_checked": "1"},
            )
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        # Within the limit a write confirms, and the check is recorded.
        small = self.make_order(self.customer, 300, user=self.salesman)
        self.call("sale.order", "write", [small.ids, {"state": "sale"}])
        small.invalidate_recordset()
        self.assertEqual((small.state, small.otc_credit_state), ("sale", "ok"))
        # Under a warn policy the write confirms with the warning logged.
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        self.call("sale.order", "write", [order.ids, {"state": "sale"}])
        order.invalidate_recordset()
        self.assertEqual((order.state, order.otc_credit_state), ("sale", "warning"))

    def test_creating_a_confirmed_order_is_checked(self):
        self.set_credit(self.customer, 500)
        vals = {
            "partner_id": self.customer.id,
            "state": "sale",
            "order_line": [
                Command.create(
                    {
                        "product_id": self.product.id,
                        "product_uom_qty": 1,
                        "price_unit": 800,
                        "tax_id": [Command.clear()],
                    }
                )
            ],
        }
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call("sale.order", "create", [vals])
        self.assertFalse(
            self.env["sale.order"].search(
                [("partner_id", "=", self.customer.id), ("state", "=", "sale")]
            )
        )
        vals["order_line"][0][2]["price_unit"] = 300
        order_id = self.call("sale.order", "create", [vals])
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual((order.state, order.otc_credit_state), ("sale", "ok"))

    def test_server_code_still_confirms(self):
        """The Confirm button, Confirm Anyway and the approval keep working."""
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800, user=self.salesman)
        action = self.call(
            "sale.order",
            "action_confirm",
            [order.ids],
            context={"otc_credit_interactive": True},
        )
        self.assertEqual(action["res_model"], "otc.credit.check.wizard")
        self.call(
            "otc.credit.check.wizard", "action_confirm_anyway", [action["res_id"]]
        )
        order.invalidate_recordset()
        self.assertEqual((order.state, order.otc_credit_state), ("sale", "warning"))
        self.set_credit(self.customer, 500, otc_credit_policy="approval")
        pending = self.make_order(self.customer, 900, user=self.salesman)
        self.call("sale.order", "action_confirm", [pending.ids])
        pending.invalidate_recordset()
        self.assertEqual(pending.otc_credit_state, "pending")
        pending.otc_credit_approval_ids.with_user(self.credit_manager).action_approve()
        self.assertEqual(
            (pending.state, pending.otc_credit_state), ("sale", "approved")
        )
