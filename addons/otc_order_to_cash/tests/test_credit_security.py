from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditSecurity(OtcCreditCommon):
    def test_salesman_cannot_change_credit_terms(self):
        customer = self.customer.with_user(self.salesman).with_company(self.company)
        for vals in (
            {"otc_credit_hold": False},
            {"otc_credit_policy": "warn"},
            {"otc_max_overdue_days": 90},
            {"credit_limit": 10**6},
        ):
            with self.assertRaises(AccessError):
                customer.write(vals)
        with self.assertRaises(AccessError):
            customer.action_otc_credit_hold()
        with self.assertRaises(AccessError):
            customer.action_otc_credit_release()
        # Other fields stay editable.
        customer.write({"phone": "+1 555 0100"})

    def test_clerk_and_collector_cannot_raise_limits(self):
        for user in (self.clerk, self.collector):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).with_company(self.company).write(
                    {"credit_limit": 5000}
                )

    def test_credit_manager_can(self):
        customer = self.customer.with_user(self.credit_manager).with_company(
            self.company
        )
        customer.write(
            {
                "credit_limit": 5000,
                "otc_credit_policy": "approval",
                "otc_max_overdue_days": 45,
            }
        )
        self.assertEqual(customer.credit_limit, 5000)
        customer._otc_set_hold("Check")
        customer.action_otc_credit_release()
        self.assertFalse(customer.otc_credit_hold)

    def test_salesman_cannot_create_partner_with_limit(self):
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.salesman).create(
                {
                    "name": "Sneaky",
                    "otc_credit_hold": False,
                    "otc_credit_policy": "warn",
                }
            )

    def test_clerk_creates_partner_with_default_limit(self):
        self.env["ir.default"].set(
            "res.partner", "credit_limit", 500.0, company_id=self.company.id
        )
        partner = (
            self.env["res.partner"]
            .with_user(self.clerk)
            .with_company(self.company)
            .create({"name": "New customer", "credit_limit": 500.0})
        )
        self.assertEqual(partner.credit_limit, 500.0)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.clerk).with_company(
                self.company
            ).create({"name": "Generous", "credit_limit": 90000.0})

    def test_credit_control_access(self):
        self.make_invoice(self.customer, 100)
        self.assertTrue(self.env["otc.credit.control"].with_user(self.clerk).search([]))
        with self.assertRaises(AccessError):
            self.env["otc.credit.control"].with_user(self.salesman).search([])

    def test_multi_company_rows(self):
        other = self.setup_other_company(name="Hidden Co")
        self.make_invoice(self.customer, 100)
        self.make_invoice(self.customer, 100, company_data=other)
        rows = (
            self.env["otc.credit.control"]
            .with_user(self.clerk)
            .search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(rows.company_id, self.company)

    def test_settings_need_manager(self):
        self.assertFalse(
            self.env["res.config.settings"]
            .with_user(self.credit_manager)
            .has_access("write")
        )
        self.assertTrue(
            self.env.ref("otc_order_to_cash.group_otc_ar_manager")
            in self.ar_manager.groups_id
        )
        self.assertTrue(
            self.ar_manager.has_group("otc_order_to_cash.group_otc_credit_manager")
        )
        self.assertTrue(
            self.credit_manager.has_group("otc_order_to_cash.group_otc_collector")
        )
        self.assertTrue(
            self.collector.has_group("otc_order_to_cash.group_otc_ar_clerk")
        )
        self.assertFalse(self.clerk.has_group("otc_order_to_cash.group_otc_collector"))
