from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon

SUITE_MODULES = ("otc_order_to_cash", "otc_collections", "otc_portal")


@tagged("post_install", "-at_install")
class TestOdooUsersWithoutSuiteGroups(OtcCreditCommon):
    """With the whole suite installed, what Odoo's users did before still
    works for users who are in none of the suite's groups, through the views
    as a person would (the suite adds fields, buttons and tabs to Odoo's own
    forms: each must be guarded so that they see Odoo as before)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {
            "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
        }
        cls.invoicing_user = new_test_user(
            cls.env,
            "odoo_invoicing",
            groups="account.group_account_invoice",
            **company_vals,
        )
        cls.sales_user = new_test_user(
            cls.env,
            "odoo_salesperson",
            groups="sales_team.group_sale_salesman",
            **company_vals,
        )
        cls.sales_user_with_accounting_read = new_test_user(
            cls.env,
            "odoo_salesperson_accounting_read",
            groups="sales_team.group_sale_salesman,account.group_account_readonly",
            **company_vals,
        )
        cls.access_admin = new_test_user(
            cls.env,
            "odoo_access_admin",
            groups="base.group_erp_manager,base.group_partner_manager",
            **company_vals,
        )
        # Odoo's own credit limit on customers (Accounting > Settings).
        cls.company.account_use_credit_limit = True
        cls.set_credit(cls.customer, 100000.0)
        cls.invoice = cls.make_invoice(cls.customer, 250.0, post=False)

    def assert_no_suite_group(self, user):
        suite_groups = user.groups_id.filtered(
            lambda g: g.get_external_id()[g.id].split(".")[0] in SUITE_MODULES
        )
        self.assertFalse(
            suite_groups,
            f"{user.login} is meant to have none of the suite's groups",
        )

    def test_invoicing_user_opens_edits_posts_and_registers_payment(self):
        user = self.invoicing_user
        self.assert_no_suite_group(user)
        with Form(self.invoice.with_user(user)) as form:
            form.ref = "PO 42"
            with form.invoice_line_ids.edit(0) as line:
                line.price_unit = 300.0
        invoice = self.invoice.with_user(user)
        self.assertEqual(invoice.amount_total, 300.0)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        # The posted invoice opens again (stat buttons, alerts, header).
        Form(invoice)
        wizard = Form(
            self.env["account.payment.register"]
            .with_user(user)
            .with_context(active_model="account.move", active_ids=invoice.ids)
        ).save()
        wizard.action_create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        # A customer opens from the invoice, as before.
        Form(self.customer.with_user(user))

    def test_salesperson_confirms_an_order_and_opens_the_customer(self):
        for user in (self.sales_user, self.sales_user_with_accounting_read):
            self.assert_no_suite_group(user)
            with Form(self.env["sale.order"].with_user(user)) as form:
                form.partner_id = self.customer
                with form.order_line.new() as line:
                    line.product_id = self.product
                    line.product_uom_qty = 2
            order = form.record
            order.with_context(otc_credit_interactive=True).action_confirm()
            self.assertEqual(order.state, "sale")
            Form(order)
            Form(self.customer.with_user(user))
            # Invoices of the order open for the salesperson with
            # accounting read access.
            if user == self.sales_user_with_accounting_read:
                Form(self.invoice.with_user(user))

    def test_accounting_administrator_sets_a_credit_limit(self):
        admin = new_test_user(
            self.env,
            "odoo_accounting_admin",
            groups="account.group_account_manager,base.group_partner_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        customer = self.env["res.partner"].create(
            {"name": "Customer of the Accountant", "is_company": True}
        )
        with Form(customer.with_user(admin)) as form:
            form.use_partner_credit_limit = True
            form.credit_limit = 1234.0
        self.assertEqual(customer.with_company(self.company).credit_limit, 1234.0)
        # Odoo's own right stays: the Accounting Administrator is a Credit
        # Manager by implication.
        self.assertTrue(admin.has_group("otc_order_to_cash.group_otc_credit_manager"))

    def test_invoicing_user_keeps_setting_odoo_credit_limit(self):
        """A user Odoo lets set credit limits (accounting group, contact
        editing) and outside the suite keeps doing it; the suite's own terms
        stay Credit Manager only, and so does the limit for the AR team."""
        billing = new_test_user(
            self.env,
            "odoo_billing_partner_editor",
            groups="account.group_account_invoice,base.group_partner_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assert_no_suite_group(billing)
        customer = self.env["res.partner"].create(
            {"name": "Customer of the Billing Team", "is_company": True}
        )
        with Form(customer.with_user(billing)) as form:
            form.use_partner_credit_limit = True
            form.credit_limit = 777.0
        self.assertEqual(customer.with_company(self.company).credit_limit, 777.0)
        with self.assertRaises(AccessError):
            customer.with_user(billing).write({"otc_credit_policy": "warn"})
        # Without the right to edit contacts, Odoo refuses as before.
        invoicing_only = customer.with_user(self.invoicing_user)
        with self.assertRaises(AccessError):
            invoicing_only.write({"credit_limit": 1.0})
        with self.assertRaises(AccessError):
            customer.with_user(self.clerk).write({"credit_limit": 1.0})

    def test_settings_administrator_is_credit_manager(self):
        admin = new_test_user(
            self.env,
            "odoo_settings_admin",
            groups="base.group_system",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertTrue(admin.has_group("otc_order_to_cash.group_otc_credit_manager"))
        self.customer.with_user(admin).with_company(self.company).credit_limit = 999.0
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 999.0)

    def test_administrator_creates_a_company(self):
        user = self.access_admin
        self.assert_no_suite_group(user)
        with Form(self.env["res.company"].with_user(user)) as form:
            form.name = "New Company of the Administrator"
        company = form.record
        self.assertTrue(company.id)
        # The suite's settings have their values (or their fallbacks) in it.
        # Odoo's behaviour (a warning) until a credit manager chooses more
        self.assertEqual(company.sudo().otc_default_credit_policy, "warn")
        self.assertTrue(company.sudo().otc_aging_buckets)

    def test_company_with_empty_suite_settings(self):
        """Settings a creating user could not fill in (or an import left
        empty) are not required: the suite falls back to its defaults."""
        company = self.env["res.company"].create(
            {
                "name": "Company without suite settings",
                "otc_default_credit_policy": False,
                "otc_aging_buckets": False,
            }
        )
        self.assertEqual(company._otc_aging_bounds(), (0, 30, 60, 90))
        exposure = self.env["otc.credit.exposure"]._get_exposure(
            self.customer, company
        )[self.customer.id]
        self.assertEqual(exposure.credit_policy, "warn")

    def test_inventory_user_validates_a_delivery(self):
        if "stock.picking" not in self.env:
            self.skipTest("stock is not installed (run_tests.sh installs sale_stock)")
        stock_user = new_test_user(
            self.env,
            "odoo_inventory",
            groups="stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assert_no_suite_group(stock_user)
        goods = self.env["product.product"].create(
            {"name": "Credit Goods", "type": "consu", "list_price": 10.0}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "user_id": self.sales_user.id,
                "order_line": [
                    Command.create(
                        {"product_id": goods.id, "product_uom_qty": 3, "tax_id": []}
                    )
                ],
            }
        )
        order.with_user(self.sales_user).action_confirm()
        picking = order.picking_ids.with_user(stock_user)
        self.assertEqual(len(picking), 1)
        Form(picking)
        picking.action_assign()
        picking.move_ids.quantity = 3
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        Form(self.customer.with_user(stock_user))
