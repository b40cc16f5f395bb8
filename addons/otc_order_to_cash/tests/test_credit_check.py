from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditCheck(OtcCreditCommon):
    def test_within_limit_confirms(self):
        self.set_credit(self.customer, 2000)
        self.make_invoice(self.customer, 1000)
        order = self.make_order(self.contact, 1000)  # exactly at the limit
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "ok")

    def test_block_over_limit(self):
        self.set_credit(self.customer, 2000)
        self.make_invoice(self.customer, 1500)
        order = self.make_order(self.contact, 600)
        with self.assertRaisesRegex(UserError, "over its credit limit"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_no_limit_means_no_limit_check(self):
        self.make_invoice(self.customer, 10**6)
        order = self.make_order(self.customer, 10**6)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_company_default_limit_applies(self):
        self.env["ir.default"].set(
            "res.partner", "credit_limit", 500.0, company_id=self.company.id
        )
        order = self.make_order(self.customer, 600)
        with self.assertRaisesRegex(UserError, "credit limit"):
            order.action_confirm()

    def test_unbilled_orders_count_in_check(self):
        self.set_credit(self.customer, 1000)
        first = self.make_order(self.customer, 700)
        first.action_confirm()
        second = self.make_order(self.customer, 400)
        with self.assertRaises(UserError):
            second.action_confirm()

    def test_orders_confirmed_together_add_up(self):
        self.set_credit(self.customer, 1000)
        orders = self.make_order(self.customer, 600) | self.make_order(
            self.contact, 600
        )
        with self.assertRaises(UserError):
            orders.action_confirm()
        self.assertEqual(set(orders.mapped("state")), {"draft"})

    def test_draft_invoices_count_in_check(self):
        self.set_credit(self.customer, 1000)
        self.make_invoice(self.customer, 800, post=False)
        with self.assertRaises(UserError):
            self.make_order(self.customer, 300).action_confirm()
        self.company.otc_exposure_draft_invoices = False
        order = self.make_order(self.customer, 300)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_hold_blocks_even_within_limit(self):
        self.set_credit(self.customer, 10000)
        self.customer.with_company(self.company)._otc_set_hold("Cheque bounced")
        order = self.make_order(self.contact, 10)
        with self.assertRaisesRegex(UserError, "credit hold.*Cheque bounced"):
            order.action_confirm()
        self.customer.with_company(self.company)._otc_release_hold()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_overdue_days(self):
        self.set_credit(self.customer, 10000)
        self.make_invoice(self.customer, 100, days_ago=75)  # 45 days overdue
        order = self.make_order(self.customer, 10)
        with self.assertRaisesRegex(UserError, "overdue for 45 days"):
            order.action_confirm()
        self.set_credit(self.customer, 10000, otc_max_overdue_days=60)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_overdue_check_switched_off(self):
        self.make_invoice(self.customer, 100, days_ago=200)
        self.company.otc_check_overdue = False
        order = self.make_order(self.customer, 10)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_credit_check_switched_off(self):
        self.set_credit(self.customer, 100)
        self.company.otc_credit_check = False
        order = self.make_order(self.customer, 1000)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_warn_interactive_opens_wizard_then_confirms_and_logs(self):
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800)
        action = order.with_context(otc_credit_interactive=True).action_confirm()
        self.assertEqual(action["res_model"], "otc.credit.check.wizard")
        self.assertEqual(order.state, "draft")
        wizard = self.env["otc.credit.check.wizard"].browse(action["res_id"])
        self.assertIn("over its credit limit", wizard.message)
        wizard.action_confirm_anyway()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.otc_credit_state, "warning")
        self.assertIn(
            "Confirmed despite the credit warning",
            order.message_ids.mapped("body")[0],
        )

    def test_warn_non_interactive_confirms_with_note(self):
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertTrue(
            any(
                "Confirmed despite" in body for body in order.message_ids.mapped("body")
            )
        )

    def test_warning_banner_on_quotation(self):
        self.set_credit(self.customer, 500, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800)
        self.assertIn("over its credit limit", order.otc_credit_warning)
        self.assertAlmostEqual(order.otc_partner_available_credit, 500)
        ok = self.make_order(self.customer, 100)
        self.assertFalse(ok.otc_credit_warning)

    def test_form_order_confirm(self):
        self.set_credit(self.customer, 100)
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product
                line.price_unit = 500
                line.tax_id.clear()
        order = form.save()
        with self.assertRaises(UserError):
            order.action_confirm()

    def test_duplicated_quotation_is_checked_again(self):
        self.set_credit(self.customer, 1000, otc_credit_policy="approval")
        order = self.make_order(self.customer, 1500)
        order.action_confirm()
        order.otc_credit_approval_ids.with_user(self.credit_manager).action_approve()
        self.assertEqual(order.state, "sale")
        copy = order.copy()
        self.assertFalse(copy.otc_credit_approval_ids)
        self.assertFalse(copy.otc_credit_state)
        copy.action_confirm()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(copy.otc_credit_state, "pending")

    def test_exposure_in_order_company_not_user_company(self):
        other = self.setup_other_company(name="Second Co")
        other["company"].otc_default_credit_policy = "block"
        self.make_invoice(self.customer, 5000, company_data=other)  # only in Second Co
        self.set_credit(self.customer, 1000)
        self.set_credit(self.customer, 1000, company=other["company"])
        order = self.make_order(self.customer, 500)  # in the first company
        user_env_other = order.with_context(
            allowed_company_ids=[other["company"].id, self.company.id]
        )
        user_env_other.action_confirm()
        self.assertEqual(order.state, "sale")
        order_other = self.make_order(self.customer, 500, company=other["company"])
        with self.assertRaises(UserError):
            order_other.with_context(
                allowed_company_ids=[self.company.id, other["company"].id]
            ).action_confirm()

    def test_skip_context_ignored_for_salesman(self):
        self.set_credit(self.customer, 100)
        order = self.make_order(self.customer, 500, user=self.salesman)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).with_context(
                otc_skip_credit_check=True
            ).action_confirm()

    def test_multi_currency_order_amount_converted(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id}
        )
        self.set_credit(self.customer, 1000)
        order = self.make_order(self.customer, 1800, pricelist=pricelist)  # = 900 USD
        self.assertAlmostEqual(order.otc_amount_company, 900)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        order2 = self.make_order(
            self.customer, 400, pricelist=pricelist
        )  # 200 USD more
        with self.assertRaises(UserError):
            order2.action_confirm()

    def test_increase_of_confirmed_order_is_checked(self):
        self.set_credit(self.customer, 1000)
        order = self.make_order(self.customer, 800)
        order.action_confirm()
        line = order.order_line
        line.price_unit = 960  # +160, within the limit
        self.assertAlmostEqual(order.amount_total, 960)
        with self.assertRaisesRegex(UserError, "raises a confirmed order"):
            line.price_unit = 1100
        self.env.invalidate_all()
        with self.assertRaisesRegex(UserError, "raises a confirmed order"):
            order.write(
                {
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "price_unit": 300,
                                "tax_id": [],
                            }
                        )
                    ]
                }
            )

    def test_increase_of_confirmed_order_warn_policy_logs(self):
        self.set_credit(self.customer, 1000, otc_credit_policy="warn")
        order = self.make_order(self.customer, 800)
        order.action_confirm()
        order.order_line.price_unit = 1100
        self.assertAlmostEqual(order.amount_total, 1100)
        self.assertTrue(
            any(
                "increased despite" in body for body in order.message_ids.mapped("body")
            )
        )
