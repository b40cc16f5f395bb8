"""The collector's worklist walked in a real browser (Chromium, headless)."""

from odoo.tests import HttpCase, tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestWorklistTour(OtcCreditCommon, HttpCase):
    def test_collector_logs_a_call(self):
        late = self.env["res.partner"].create(
            {"name": "Tour Late Payer", "is_company": True}
        )
        self.make_invoice(late, 5000, days_ago=90)
        Worklist = self.env["otc.worklist"]
        Worklist._refresh(self.company)
        line = Worklist.search(
            [("company_id", "=", self.company.id), ("partner_id", "=", late.id)]
        )
        line.sudo().collector_id = self.collector
        self.assertFalse(line.last_contact_date)

        self.start_tour(
            "/odoo", "otc_worklist_log_call_tour", login=self.collector.login
        )
        line.invalidate_recordset()
        self.assertTrue(line.last_contact_date)
        notes = late.message_ids.filtered(
            lambda m: "Promised to pay on Friday" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes.author_id, self.collector.partner_id)


@tagged("post_install", "-at_install")
class TestDashboardTour(OtcCreditCommon, HttpCase):
    def test_controller_opens_dashboard_and_drills_down(self):
        tag = self.env["res.partner.category"].create({"name": "Tour Late Payers"})
        late = self.env["res.partner"].create(
            {"name": "Tour Dashboard Payer", "is_company": True, "category_id": tag.ids}
        )
        self.make_invoice(late, 7000, days_ago=120)
        other = self.env["res.partner"].create(
            {"name": "Tour Dashboard Other", "is_company": True}
        )
        self.make_invoice(other, 9000, days_ago=100)
        self.start_tour(
            "/odoo", "otc_receivables_dashboard_tour", login=self.clerk.login
        )
