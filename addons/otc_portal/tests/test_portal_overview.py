from odoo import Command
from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalOverview(OtcPortalHttpCommon):
    """The account page: figures per company, nothing internal."""

    def test_owner_sees_balance_overdue_and_aging(self):
        self.login_a()
        page = self.get("/my/balance")
        self.assertEqual(page.status_code, 200)
        text = page.text
        # 1000 + 500 + 300 - 100 due, of which 1000 + 500 overdue
        self.assertIn("1,700.00", text)
        self.assertIn("1,500.00", text)
        for label in (
            "Current",
            "1-30 days",
            "31-60 days",
            "61-90 days",
            "Over 90 days",
        ):
            self.assertIn(label, text)
        self.assertIn(self.inv_new.name, text)  # next due
        self.assertNotIn(self.other_inv.name, text)
        # credit figures are off by default
        self.assertNotIn("otc_credit_limit", text)

    def test_aging_buckets_follow_the_company(self):
        self.company.otc_aging_buckets = "0,45"
        self.login_a()
        text = self.get("/my/balance").text
        self.assertIn("1-45 days", text)
        self.assertIn("Over 45 days", text)
        self.assertNotIn("61-90 days", text)

    def test_credit_shown_only_when_enabled(self):
        self.set_credit(self.customer, 5000)
        self.login_a()
        self.assertNotIn("otc_credit_limit", self.get("/my/balance").text)
        self.company.otc_portal_show_credit = True
        text = self.get("/my/balance").text
        self.assertIn("otc_credit_limit", text)
        self.assertIn("5,000.00", text)
        # available: 5000 - exposure (1700 open)
        self.assertIn("3,300.00", text)

    def test_nothing_internal_is_shown(self):
        self.company.otc_portal_show_credit = True
        self.set_credit(
            self.customer,
            5000,
            otc_credit_policy="approval",
            otc_credit_hold=True,
            otc_credit_hold_reason="Cheque returned unpaid XYZ",
        )
        self.env["otc.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [Command.set(self.inv_old.ids)],
                "promise_date": self.today,
                "amount": 100,
                "note": "Collector note: customer sounded evasive",
            }
        )
        level = self.env["otc.dunning.level"].search([], limit=1)
        level.name = "Final legal threat level"
        self.login_a()
        for url in ("/my/balance", "/my/promises", "/my/balance/pay"):
            text = self.get(url).text
            for secret in (
                "Cheque returned unpaid XYZ",
                "sounded evasive",
                "Final legal threat level",
                "Require Approval",
                "Credit hold",
            ):
                self.assertNotIn(secret, text, f"{secret!r} shown on {url}")

    def test_orders_under_review_are_listed(self):
        self.set_credit(self.customer, 100, otc_credit_policy="approval")
        order = self.make_order(self.contact, 900)
        order.action_quotation_sent()  # the customer follows it from then on
        order.action_confirm()
        self.assertEqual(order.otc_credit_state, "pending")
        self.login_a()
        text = self.get("/my/balance").text
        self.assertIn("otc_orders_under_review", text)
        self.assertIn(order.name, text)
        # the order page says so too (template moved from otc_order_to_cash)
        order_page = self.get(order.get_portal_url())
        self.assertIn("otc_credit_review_alert", order_page.text)

    def test_one_block_per_company(self):
        other = self.setup_other_company(name="Second Company")
        self.make_invoice(self.customer, 4321, days_ago=2, company_data=other)
        self.portal_user.sudo().company_ids = [Command.link(other["company"].id)]
        self.login_a()
        text = self.get("/my/balance").text
        self.assertEqual(text.count('class="otc_balance_block'), 2)
        first, second = text.split('class="otc_balance_block')[1:]
        self.assertIn("1,700.00", first)
        self.assertNotIn("4,321.00", first)
        self.assertIn("Second Company", second)
        self.assertIn("4,321.00", second)
        self.assertNotIn("1,700.00", second)

    def test_other_customer_sees_only_its_own(self):
        self.login_b()
        text = self.get("/my/balance").text
        self.assertIn("700.00", text)
        for move in (self.inv_old, self.inv_mid, self.inv_new):
            self.assertNotIn(move.name, text)

    def test_anonymous_is_sent_to_login(self):
        self.assert_login_redirect(self.get("/my/balance"))

    def test_home_card_counter(self):
        self.login_a()
        result = self.jsonrpc(
            "/my/counters",
            {
                "counters": [
                    "otc_balance_count",
                    "otc_dispute_count",
                    "otc_promise_count",
                ]
            },
        )["result"]
        self.assertEqual(result["otc_balance_count"], 4)
        self.assertEqual(result["otc_dispute_count"], 0)
        home = self.get("/my")
        self.assertIn("/my/balance", home.text)
