from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.test_returns import OtcReturnCommon

from .common import OtcPortalHttpCommon

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class OtcPortalReturnCommon(OtcPortalHttpCommon, OtcReturnCommon):
    """An order of the portal customer delivered and invoiced (5 widgets),
    and one of the other customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the customer's overdue invoices would hold its orders: not the subject
        cls.company.otc_credit_check = False
        cls.order = cls._sell_to(cls.contact)
        cls.other_order = cls._sell_to(cls.other_contact)

    @classmethod
    def _sell_to(cls, partner, qty=5):
        """An order placed by ``partner``, delivered and invoiced."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": cls.salesman.id,
                "company_id": cls.company.id,
                "order_line": [
                    fields.Command.create(
                        {
                            "product_id": cls.goods.id,
                            "product_uom_qty": qty,
                            "price_unit": 100.0,
                            "tax_id": [fields.Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.picking_ids.move_ids.write({"quantity": qty, "picked": True})
        order.picking_ids.button_validate()
        order._create_invoices().action_post()
        return order

    def returns(self, order=None):
        return self.env["otc.return"].search(
            [("sale_order_id", "=", (order or self.order).id)]
        )

    def form(self, qty="2", order=None, **values):
        order = order or self.order
        data = {
            f"qty_{order.order_line.id}": qty,
            "reason_id": self.reason_defective.id,
            "comment": "Two arrived scratched.",
        }
        data.update(values)
        return data

    def request_return(self, qty="2", **values):
        self.login_a()
        response = self.post(
            f"/my/orders/{self.order.id}/return", self.form(qty, **values)
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        return self.returns()


@tagged("post_install", "-at_install")
class TestPortalReturn(OtcPortalReturnCommon):
    def test_request_happy_path(self):
        self.login_a()
        order_page = self.get(self.order.get_portal_url())
        self.assertIn("otc_return_request_btn", order_page.text)
        page = self.get(f"/my/orders/{self.order.id}/return")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Return Widget", page.text)
        self.assertIn(self.reason_defective.name, page.text)
        response = self.post(
            f"/my/orders/{self.order.id}/return",
            self.form("2"),
            files=[("attachments", ("scratch.png", PNG, "image/png"))],
        )
        self.assertEqual(response.status_code, 303, self.error_of(response))
        ret = self.returns()
        self.assertEqual(len(ret), 1)
        self.assertTrue(
            response.headers["Location"].endswith(f"/my/returns/{ret.id}?created=1")
        )
        self.assertEqual(ret.state, "requested")
        self.assertEqual(ret.partner_id, self.customer)
        self.assertEqual(ret.line_ids.quantity, 2)
        self.assertEqual(ret.line_ids.reason_id, self.reason_defective)
        self.assertEqual(ret.customer_note, "Two arrived scratched.")
        self.assertIn(self.contact, ret.message_partner_ids)
        photo = self.env["ir.attachment"].search(
            [("res_model", "=", "otc.return"), ("res_id", "=", ret.id)]
        )
        self.assertEqual(photo.name, "scratch.png")
        self.assertEqual(photo.raw, PNG)
        self.assertEqual(photo.mimetype, "image/png")
        message = ret.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(message.author_id, self.contact)
        # followed on the portal
        page = self.get(ret.access_url + "?created=1")
        self.assertEqual(page.status_code, 200)
        self.assertIn("otc_return_created", page.text)
        self.assertIn("Requested", page.text)
        self.assertIn("Two arrived scratched.", page.text)
        self.assertNotIn("otc_return_label", page.text, "no label before approval")
        self.assertIn(ret.name, self.get("/my/returns").text)
        # what is left to return on the order goes down
        self.assertIn(">3.0", self.get(f"/my/orders/{self.order.id}/return").text)

    def test_status_label_refusal_and_credit_note_on_the_portal(self):
        ret = self.request_return("2")
        self.assert_not_found(self.get(f"/my/returns/{ret.id}/label"))
        ret.with_user(self.clerk).action_approve()
        page = self.get(ret.access_url).text
        self.assertIn("Approved", page)
        self.assertIn("otc_return_label", page)
        label = self.get(f"/my/returns/{ret.id}/label")
        self.assertEqual(label.status_code, 200)
        self.assertEqual(label.headers["Content-Type"], "application/pdf")
        self.assertIn(ret.name.replace("/", "-"), label.headers["Content-Disposition"])
        # tests render reports as HTML (no wkhtmltopdf run): its text shows
        self.assertIn(ret.name.encode(), label.content)
        self.assertIn(self.company.name.encode(), label.content)
        self.assertIn(self.customer.name.encode(), label.content)
        self.receive(ret)
        note = ret.with_user(self.clerk).action_credit()
        page = self.get(ret.access_url).text
        self.assertIn("Credited", page)
        self.assertIn(note.name, page)
        self.assertIn(note.get_portal_url(), page)
        self.assert_not_found(self.get(f"/my/returns/{ret.id}/label"))
        # a refused one shows why
        refused = self.request_return("1") - ret
        refused.with_user(self.clerk)._otc_refuse("Scratches are cosmetic")
        page = self.get(refused.access_url).text
        self.assertIn("otc_return_refusal", page)
        self.assertIn("Scratches are cosmetic", page)

    def test_other_customer_order_and_return(self):
        self.login_a()
        url = f"/my/orders/{self.other_order.id}/return"
        self.assert_not_found(self.get(url))
        self.assert_not_found(self.post(url, self.form("1", order=self.other_order)))
        self.assertFalse(self.returns(self.other_order))
        self.assert_not_found(self.get("/my/orders/999999/return"))
        ret = self.request_return("1")
        self.login_b()
        self.assert_not_found(self.get(ret.access_url))
        self.assert_not_found(self.get(f"/my/returns/{ret.id}/label"))
        self.assert_not_found(self.get("/my/returns/999999"))
        self.assertNotIn(ret.name, self.get("/my/returns").text)
        self.assert_not_found(self.get(f"/my/orders/{self.order.id}/return"))
        # not logged in
        self.authenticate(None, None)
        self.assert_login_redirect(self.get(f"/my/orders/{self.order.id}/return"))

    def test_bad_inputs_create_nothing(self):
        self.login_a()
        url = f"/my/orders/{self.order.id}/return"
        other_line = self._sell_to(self.contact, qty=1).order_line
        for data, files, words in (
            (self.form("6"), None, "at most 5"),
            (self.form("abc"), None, "not a quantity"),
            (self.form("0"), None, "at least one product"),
            (self.form("-1"), None, "negative"),
            (self.form("1", reason_id=""), None, "reason"),
            (self.form("1", reason_id="999999"), None, "reason"),
            ({**self.form("1"), f"qty_{other_line.id}": "1"}, None, "not on order"),
            (
                self.form("1"),
                [("attachments", ("virus.exe", b"MZ\x90\x00binary", "image/png"))],
                "not a photo",
            ),
            (
                self.form("1"),
                [("attachments", (f"p{i}.png", PNG, "image/png")) for i in range(6)],
                "at most 5 files",
            ),
        ):
            with self.subTest(words=words):
                response = self.post(url, data, files=files)
                self.assertEqual(response.status_code, 200)
                self.assertIn(words, self.error_of(response))
                self.assertFalse(self.returns())
                self.assertFalse(self.returns(other_line.order_id))
        # the form keeps what was typed
        response = self.post(url, self.form("6"))
        self.assertIn("Two arrived scratched.", response.text)

    def test_closed_window(self):
        self.order.picking_ids.move_ids.date = fields.Datetime.now() - timedelta(
            days=40
        )
        self.login_a()
        page = self.get(f"/my/orders/{self.order.id}/return")
        self.assertIn("Closed on", page.text)
        response = self.post(f"/my/orders/{self.order.id}/return", self.form("1"))
        self.assertIn("return window", self.error_of(response))
        self.assertFalse(self.returns())

    def test_csrf_is_required(self):
        self.login_a()
        response = self.post(
            f"/my/orders/{self.order.id}/return", self.form("1"), csrf=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.returns())

    def test_record_rules_and_counter(self):
        mine = self.request_return("1")
        self.login_b()
        other = self.env["otc.return"]._otc_create_request(
            self.other_order,
            [(self.other_order.order_line.id, 1, self.reason_defective)],
        )
        Return = self.env["otc.return"].with_user(self.portal_user)
        self.assertEqual(Return.search([]), mine)
        self.assertEqual(
            self.env["otc.return.line"].with_user(self.portal_user).search([]),
            mine.line_ids,
        )
        with self.assertRaises(AccessError):
            other.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            other.line_ids.with_user(self.portal_user).read(["quantity"])
        with self.assertRaises(AccessError):
            mine.with_user(self.portal_user).write({"customer_note": "changed"})
        self.login_a()
        result = self.jsonrpc("/my/counters", {"counters": ["otc_return_count"]})
        self.assertEqual(result["result"]["otc_return_count"], 1)
        self.assertIn("/my/returns", self.get("/my").text)


@tagged("post_install", "-at_install")
class TestPortalReturnTour(OtcPortalReturnCommon):
    """The request in a real browser (Chromium)."""

    def test_tour_request_a_return(self):
        url = self.order.get_portal_url().split(self.base_url())[-1]
        self.start_tour(url, "otc_portal_return_request", login="otc_portal_a")
        ret = self.returns()
        self.assertEqual(ret.state, "requested")
        self.assertEqual(ret.line_ids.quantity, 2)
        self.assertEqual(ret.line_ids.reason_id, self.reason_defective)
        self.assertEqual(ret.customer_note, "Two arrived with a cracked leg.")
        photo = self.env["ir.attachment"].search(
            [("res_model", "=", "otc.return"), ("res_id", "=", ret.id)]
        )
        self.assertEqual(photo.name, "cracked_leg.png")
