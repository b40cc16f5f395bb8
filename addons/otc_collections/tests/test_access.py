from odoo import Command
from odoo.exceptions import AccessError
from odoo.modules.module import get_manifest
from odoo.tests import new_test_user, tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCollectionsAccess(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late = cls.env["res.partner"].create(
            {"name": "Late Payer", "is_company": True}
        )
        cls.make_invoice(cls.late, 800, days_ago=90)
        cls.portal = new_test_user(
            cls.env,
            "otc_collections_portal",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_worklist_refresh_checks_access_first(self):
        """A user who may not read the worklist cannot start the company-wide
        refresh (it ran before the AccessError came)."""
        Worklist = self.env["otc.worklist"]
        self.assertFalse(Worklist.search([("partner_id", "=", self.late.id)]))
        for user in (self.portal, self.salesman, self.clerk):
            with self.assertRaises(AccessError):
                Worklist.with_user(user).action_refresh()
            self.assertFalse(
                Worklist.search([("partner_id", "=", self.late.id)]),
                f"{user.login} refreshed the worklist",
            )
        Worklist.with_user(self.collector).action_refresh()
        self.assertTrue(Worklist.search([("partner_id", "=", self.late.id)]))

    def test_phonenumbers_is_declared(self):
        """SMS reminders validate numbers with phonenumbers: the addon that
        sends them declares it."""
        manifest = get_manifest("otc_collections")
        self.assertIn(
            "phonenumbers", manifest.get("external_dependencies", {}).get("python", [])
        )

    def test_dunning_levels_and_items_stay_in_their_company(self):
        other_data = self.setup_other_company(name="Other Dunning Co")
        other = other_data["company"]
        data = {self.company: self.company_data, other: other_data}
        policies = self.env["otc.dunning.policy"].create(
            [
                {
                    "name": f"Policy of {company.name}",
                    "company_id": company.id,
                    "level_ids": [
                        Command.create({"sequence": 1, "name": "First", "days": 10})
                    ],
                }
                for company in (self.company, other)
            ]
        )
        for company in (self.company, other):
            customer = self.env["res.partner"].create(
                {"name": f"Late at {company.name}", "is_company": True}
            )
            company_data = data[company]
            self.make_invoice(customer, 500, days_ago=60, company_data=company_data)
            company.otc_default_dunning_policy_id = policies.filtered(
                lambda p, c=company: p.company_id == c
            )
            self.env["otc.dunning.run"].create(
                {"company_id": company.id, "date": self.today}
            )._run()
        Line = self.env["otc.dunning.communication.line"]
        lines = Line.search(
            [("communication_id.company_id", "in", (self.company + other).ids)]
        )
        self.assertEqual(lines.company_id, self.company + other)
        for line in lines:
            self.assertEqual(line.company_id, line.communication_id.company_id)
        # The clerk of the first company reads neither the items nor the
        # levels of the other, even when asking for them by id.
        clerk_lines = Line.with_user(self.clerk).search([("id", "in", lines.ids)])
        self.assertEqual(clerk_lines.company_id, self.company)
        other_lines = lines.filtered(lambda line: line.company_id == other)
        with self.assertRaises(AccessError):
            other_lines.with_user(self.clerk).read(["residual"])
        Level = self.env["otc.dunning.level"].with_user(self.clerk)
        self.assertEqual(
            Level.search([("id", "in", policies.level_ids.ids)]).company_id,
            self.company,
        )
        with self.assertRaises(AccessError):
            policies.filtered(lambda p: p.company_id == other).level_ids.with_user(
                self.clerk
            ).read(["name"])
