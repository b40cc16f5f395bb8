import io
from datetime import timedelta
from urllib.parse import unquote

from openpyxl import load_workbook

from odoo.tests import tagged

from .common import OtcPortalHttpCommon


@tagged("post_install", "-at_install")
class TestPortalStatement(OtcPortalHttpCommon):
    """Statement download: the backend's statement, for the customer only."""

    def url(self, fmt="pdf", **values):
        params = {
            "company_id": self.company.id,
            "date_from": (self.today - timedelta(days=120)).isoformat(),
            "date_to": self.today.isoformat(),
            "file_format": fmt,
        }
        params.update(values)
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return f"/my/balance/statement/download?{query}"

    def backend_data(self, customer=None):
        wizard = self.env["otc.statement.wizard"].create(
            {
                "partner_id": (customer or self.customer).id,
                "company_id": self.company.id,
                "date_from": self.today - timedelta(days=120),
                "date_to": self.today,
            }
        )
        return wizard._statement_data()

    def test_form(self):
        self.login_a()
        page = self.get("/my/balance/statement")
        self.assertEqual(page.status_code, 200)
        self.assertIn("otc_statement_pdf", page.text)

    def test_pdf(self):
        self.login_a()
        response = self.get(self.url("pdf"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        # Under tests Odoo renders reports as HTML instead of calling
        # wkhtmltopdf (ir.actions.report._render_qweb_pdf): the statement's.
        self.assertTrue(
            response.content.startswith(b"%PDF")
            or self.inv_old.name.encode() in response.content
        )
        self.assertNotIn(self.other_inv.name.encode(), response.content)
        self.assertIn("attachment", response.headers["Content-Disposition"])

    def test_xlsx_has_the_backend_figures(self):
        self.login_a()
        response = self.get(self.url("xlsx"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        workbook = load_workbook(io.BytesIO(response.content))
        sheet = workbook.worksheets[0]
        values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
        data = self.backend_data()
        self.assertEqual(data["closing_balance"], 1700.0)
        self.assertIn(data["closing_balance"], values)
        self.assertIn(data["opening_balance"], values)
        references = {line["reference"] for line in data["lines"]}
        self.assertEqual(
            references,
            {m.name for m in (self.inv_old, self.inv_mid, self.inv_new, self.refund)},
        )
        for reference in references:
            self.assertIn(reference, values)
        self.assertNotIn(self.other_inv.name, values)
        open_items = workbook.worksheets[1]
        total = [
            row
            for row in open_items.iter_rows(values_only=True)
            if row and "Total" in row
        ]
        self.assertEqual(total[0][-1], data["open_total"])

    def test_download_is_the_statement_report(self):
        """The portal's one call site renders through the statement report's
        entry point (the same file as the backend's, for this customer)."""
        self.login_a()
        response = self.get(self.url("xlsx"))
        content, filename = self.env[
            "report.otc_collections.report_otc_statement"
        ]._otc_render(
            self.customer,
            self.company,
            self.today - timedelta(days=120),
            self.today,
            "xlsx",
        )
        self.assertIn(filename, unquote(response.headers["Content-Disposition"]))

        def values(raw):
            book = load_workbook(io.BytesIO(raw))
            return [list(sheet.values) for sheet in book.worksheets]

        self.assertEqual(values(response.content), values(content))
        response = self.get(self.url("pdf"))
        self.assertIn(
            filename.replace(".xlsx", ".pdf"),
            unquote(response.headers["Content-Disposition"]),
        )

    def test_bad_input(self):
        self.login_a()
        cases = [
            (
                "reversed",
                self.url(
                    date_from=self.today.isoformat(),
                    date_to=(self.today - timedelta(days=1)).isoformat(),
                ),
                "ends before it starts",
            ),
            (
                "future",
                self.url(date_to=(self.today + timedelta(days=1)).isoformat()),
                "cannot end after today",
            ),
            ("not a date", self.url(date_from="yesterday"), "is not a date"),
            ("too long", self.url(date_from="2000-01-01"), "ten years"),
            ("format", self.url(fmt="csv"), "PDF or Excel"),
        ]
        for label, url, message in cases:
            with self.subTest(label):
                response = self.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotEqual(response.headers["Content-Type"], "application/pdf")
                self.assertIn(message, self.error_of(response) or "")

    def test_other_company_other_customer_anonymous(self):
        other = self.setup_other_company(name="Not Theirs")["company"]
        self.login_a()
        self.assert_not_found(self.get(self.url(company_id=other.id)))
        self.assert_not_found(self.get(self.url(company_id="abc")))
        # a partner id in the query is ignored: the statement is always the user's
        response = self.get(self.url("xlsx", partner_id=self.other_customer.id))
        values = [
            cell
            for row in load_workbook(io.BytesIO(response.content))
            .worksheets[0]
            .iter_rows(values_only=True)
            for cell in row
        ]
        self.assertNotIn(self.other_inv.name, values)
        self.assertIn(self.inv_old.name, values)
        self.logout()
        self.assert_login_redirect(self.get(self.url()))
