from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_returns import OtcReturnCommon


@tagged("post_install", "-at_install")
class TestReturnRequest(OtcReturnCommon):
    """The customer's own request (the portal's), checked by the return's
    rules before anything is created."""

    def count(self):
        return self.env["otc.return"].search_count([])

    def request(self, order, lines, **kw):
        return self.env["otc.return"]._otc_create_request(order, lines, **kw)

    def test_candidates_follow_delivered_returned_and_requested(self):
        order = self.sell(qty=5)
        sol = order.order_line
        (candidate,) = self.env["otc.return"]._otc_request_candidates(order)
        self.assertEqual(candidate["sale_line"], sol)
        self.assertEqual(candidate["returnable"], 5)
        self.assertFalse(candidate["outside_window"])
        self.assertEqual(
            candidate["deadline"],
            sol.move_ids.date.date() + timedelta(days=30),
        )
        self.request(order, [(sol.id, 2, self.reason_defective)])
        (candidate,) = self.env["otc.return"]._otc_request_candidates(order)
        self.assertEqual(candidate["returnable"], 3, "an open request counts")
        undelivered = self.sell(qty=2, deliver=False, invoice=False)
        self.assertEqual(
            self.env["otc.return"]._otc_request_candidates(undelivered), []
        )

    def test_happy_path(self):
        order = self.sell(qty=5)
        ret = self.request(
            order,
            [(order.order_line.id, 2, self.reason_defective)],
            note="Two are scratched",
            contact=self.contact,
        )
        self.assertEqual(ret.state, "requested")
        self.assertEqual(ret.partner_id, self.customer)
        self.assertEqual(ret.user_id, self.salesman, "the order's salesperson")
        self.assertEqual(ret.customer_note, "Two are scratched")
        self.assertEqual(ret.line_ids.quantity, 2)
        self.assertEqual(ret.line_ids.reason_id, self.reason_defective)
        self.assertIn(self.contact, ret.message_partner_ids)
        self.assertEqual(ret.activity_ids.user_id, self.salesman, "to approve")

    def test_refused_inputs_create_nothing(self):
        order = self.sell(qty=5)
        other = self.sell(qty=1)
        sol = order.order_line
        reason = self.reason_defective
        before = self.count()
        foreign_reason = self.env["otc.return.reason"].create(
            {
                "name": "Other company reason",
                "company_id": self.env["res.company"].create({"name": "Other Co"}).id,
            }
        )
        for lines, words in (
            ([(sol.id, 6, reason)], "at most 5"),
            ([(other.order_line.id, 1, reason)], "not on order"),
            ([(sol.id, 0, reason)], "at least one product"),
            ([], "at least one product"),
            ([(sol.id, -1, reason)], "negative"),
            ([(sol.id, 1, self.env["otc.return.reason"])], "reason"),
            ([(sol.id, 1, foreign_reason)], "reason"),
            ([(sol.id, 1, reason), (sol.id, 1, reason)], "twice"),
        ):
            with self.subTest(words=words):
                with self.assertRaisesRegex(UserError, words):
                    self.request(order, lines)
                self.assertEqual(self.count(), before)

    def test_over_what_open_requests_leave(self):
        order = self.sell(qty=5)
        sol = order.order_line
        self.request(order, [(sol.id, 4, self.reason_defective)])
        before = self.count()
        with self.assertRaisesRegex(UserError, "at most 1"):
            self.request(order, [(sol.id, 2, self.reason_defective)])
        self.assertEqual(self.count(), before)

    def test_closed_window(self):
        order = self.sell(qty=5)
        order.picking_ids.move_ids.date = fields.Datetime.now() - timedelta(days=40)
        before = self.count()
        with self.assertRaisesRegex(UserError, "return window"):
            self.request(order, [(order.order_line.id, 1, self.reason_defective)])
        self.assertEqual(self.count(), before)

    def test_order_not_confirmed(self):
        order = self.sell(qty=5)
        order._action_cancel()
        with self.assertRaisesRegex(UserError, "confirmed"):
            self.request(order, [(order.order_line.id, 1, self.reason_defective)])

    def test_return_label(self):
        self.company.partner_id.write({"street": "1 Returns Dock", "city": "Dockton"})
        order = self.sell(qty=5)
        ret = self.request(order, [(order.order_line.id, 2, self.reason_defective)])
        html, kind = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_html(
                "otc_order_to_cash.action_report_otc_return_label", ret.ids
            )
        )
        self.assertEqual(kind, "html")
        html = html.decode()
        for words in (ret.name, "1 Returns Dock", "Dockton", self.customer.name):
            self.assertIn(words, html)
        self.assertIn("Return Widget", html)
