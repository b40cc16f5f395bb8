# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCollectionsInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.menu = cls.env.ref("otc_collections.otc_collections_overdue_customer_menu")
        cls.collector = new_test_user(
            cls.env,
            login="otc_collections_collector",
            groups="base.group_user,otc_order_to_cash.group_otc_collector",
        )
        cls.employee = new_test_user(
            cls.env, login="otc_collections_employee", groups="base.group_user"
        )

    def test_module_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", "otc_collections")])
        self.assertEqual(module.state, "installed")

    def test_menu_under_order_to_cash_root(self):
        root = self.env.ref("otc_order_to_cash.otc_menu_root")
        self.assertEqual(self.menu.parent_id.parent_id, root)
        self.assertEqual(
            self.menu.action,
            self.env.ref("otc_order_to_cash.otc_credit_control_overdue_action"),
        )

    def test_action_filters_overdue_customers(self):
        action = self.env.ref("otc_order_to_cash.otc_credit_control_overdue_action")
        self.assertEqual(action.res_model, "otc.credit.control")
        self.assertIn("search_default_filter_overdue", action.context)
        # the default filter must exist in the model's search view, otherwise
        # the web client silently ignores it
        views = self.env["otc.credit.control"].get_views([(False, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        self.assertTrue(arch.xpath("//filter[@name='filter_overdue']"))

    def test_history_actions_say_what_their_model_is(self):
        # a newcomer goes from the menu to the action and the model by name
        for xmlid in (
            "otc_collections.otc_dunning_communication_line_action",
            "otc_order_to_cash.otc_cash_suggestion_action",
        ):
            action = self.env.ref(xmlid)
            self.assertEqual(action.name, self.env[action.res_model]._description)

    def test_menu_visible_to_collector_only(self):
        Menu = self.env["ir.ui.menu"]
        self.assertIn(self.menu.id, Menu.with_user(self.collector)._visible_menu_ids())
        self.assertIn(
            self.menu.parent_id.id, Menu.with_user(self.collector)._visible_menu_ids()
        )
        self.assertNotIn(
            self.menu.id, Menu.with_user(self.employee)._visible_menu_ids()
        )
        self.assertNotIn(
            self.menu.parent_id.id, Menu.with_user(self.employee)._visible_menu_ids()
        )
