from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestWorklist(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be = cls.env.ref("base.be")
        cls.fr = cls.env.ref("base.fr")
        cls.big = cls.env["res.partner"].create(
            {"name": "Big Late", "is_company": True, "country_id": cls.be.id}
        )
        cls.small = cls.env["res.partner"].create(
            {"name": "Small Late", "is_company": True, "country_id": cls.fr.id}
        )
        cls.ok = cls.env["res.partner"].create({"name": "On Time", "is_company": True})
        cls.make_invoice(cls.big, 50000, days_ago=120)  # 90 days overdue
        cls.make_invoice(cls.small, 300, days_ago=40)  # 10 days overdue
        cls.make_invoice(cls.ok, 999, days_ago=0)  # not due
        cls.other_collector = cls.collector.copy({"login": "otc_collector_2"})

    def _lines(self):
        Worklist = self.env["otc.worklist"]
        Worklist._refresh(self.company)
        return Worklist.search([("company_id", "=", self.company.id)])

    def test_lines_figures_and_priority_order(self):
        lines = self._lines()
        self.assertEqual(set(lines.partner_id.ids), {self.big.id, self.small.id})
        big = lines.filtered(lambda line: line.partner_id == self.big)
        self.assertAlmostEqual(big.overdue_amount, 50000)
        self.assertEqual(big.oldest_overdue_days, 90)
        self.assertEqual(lines[0].partner_id, self.big, "ordered by priority")
        self.assertGreater(lines[0].priority, lines[1].priority)

    def test_assignment_rules_and_manual_override(self):
        self.env["otc.collector.rule"].create(
            [
                {
                    "name": "Belgium",
                    "sequence": 1,
                    "collector_id": self.collector.id,
                    "country_ids": [(6, 0, self.be.ids)],
                    "company_id": self.company.id,
                },
                {
                    "name": "Small balances",
                    "sequence": 2,
                    "collector_id": self.other_collector.id,
                    "max_amount": 1000,
                    "company_id": self.company.id,
                },
            ]
        )
        lines = self._lines()
        by_partner = {line.partner_id: line.collector_id for line in lines}
        self.assertEqual(by_partner[self.big], self.collector)
        self.assertEqual(by_partner[self.small], self.other_collector)
        self.big.with_company(
            self.company
        ).sudo().otc_collector_id = self.other_collector
        by_partner = {line.partner_id: line.collector_id for line in self._lines()}
        self.assertEqual(by_partner[self.big], self.other_collector)

    def test_disputes_promises_and_history_shown(self):
        invoice = self.make_invoice(self.small, 200, days_ago=45)
        self.env["otc.dispute"].create(
            {
                "move_id": invoice.id,
                "disputed_amount": 50,
                "reason_id": self.env.ref(
                    "otc_collections.otc_dispute_reason_price"
                ).id,
            }
        )
        line = self._lines().filtered(lambda line: line.partner_id == self.small)
        self.assertEqual(line.open_dispute_count, 1)
        self.assertAlmostEqual(line.disputed_amount, 50)

    def test_log_call_one_click_updates_contact(self):
        line = self._lines()[0]
        self.assertFalse(line.last_contact_date)
        action = line.with_user(self.collector).action_log_call()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create(
                {
                    "note": "Promised to check with accounting",
                    "next_action_date": self.today,
                }
            )
        )
        wizard.action_log()
        self.assertTrue(line.last_contact_date)
        self.assertEqual(line.next_action_date, self.today)
        self.assertIn(
            "Promised to check with accounting",
            self.big.message_ids[0].body,
        )
        # The refresh keeps what was logged.
        line = self._lines().filtered(lambda line: line.partner_id == self.big)
        self.assertTrue(line.last_contact_date)
        self.assertEqual(line.next_action_date, self.today)

    def test_salesman_cannot_read_worklist(self):
        from odoo.exceptions import AccessError

        self._lines()
        with self.assertRaises(AccessError):
            self.env["otc.worklist"].with_user(self.salesman).search([])
        self.assertTrue(self.env["otc.worklist"].with_user(self.collector).search([]))
