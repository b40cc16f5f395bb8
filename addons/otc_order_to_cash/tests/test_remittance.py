import base64
import io

import xlsxwriter

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..engine import remittance as remittance_engine
from ..wizards import otc_remittance_import as import_wizard
from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestRemittance(OtcCashCommon):
    """Remittance advice import, remembered layouts, and the matcher's hook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv1 = cls.make_invoice(cls.mueller, 1000.0, days_ago=40)
        cls.inv2 = cls.make_invoice(cls.mueller, 500.0, days_ago=30)
        cls.inv3 = cls.make_invoice(cls.mueller, 300.0, days_ago=20)
        cls.rossi_invoice = cls.make_invoice(cls.rossi, 700.0)

    # helpers -------------------------------------------------------------------------

    def wizard(
        self, content, filename="remittance.csv", partner=None, user=None, **vals
    ):
        Wizard = self.env["otc.remittance.import"]
        if user:
            Wizard = Wizard.with_user(user)
        return Wizard.create(
            {
                "file": base64.b64encode(content),
                "filename": filename,
                "partner_id": (partner or self.mueller).id,
                **vals,
            }
        )

    def import_file(self, content, **kwargs):
        action = self.wizard(content, **kwargs).action_import()
        return self.env["otc.remittance"].browse(action["res_id"])

    def assert_refused(self, content, *fragments, **kwargs):
        """The import fails naming every fragment, and creates nothing."""
        Remittance = self.env["otc.remittance"]
        counts = (
            Remittance.search_count([]),
            self.env["otc.remittance.line"].search_count([]),
            self.env["otc.remittance.mapping"].search_count([]),
        )
        wizard = self.wizard(content, **kwargs)
        with self.assertRaises(UserError) as caught:
            wizard.action_import()
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(
            counts,
            (
                Remittance.search_count([]),
                self.env["otc.remittance.line"].search_count([]),
                self.env["otc.remittance.mapping"].search_count([]),
            ),
        )
        return message

    @staticmethod
    def csv(*rows, delimiter=","):
        return "\n".join(delimiter.join(str(c) for c in row) for row in rows).encode()

    @staticmethod
    def xlsx(rows):
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet("Remittance")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        workbook.close()
        return buffer.getvalue()

    def standard_file(self, reference=""):
        """inv1 paid, inv2 with a small deduction, inv3 with a large one."""
        header = ["Invoice", "Amount Paid", "Deduction", "Reason"]
        rows = [
            [self.inv1.name, "1000.00", "", ""],
            # the payer dropped the separators
            [self.inv2.name.replace("/", ""), "495.00", "5.00", "damaged box"],
            [self.inv3.name, "250.00", "50.00", "price dispute"],
        ]
        if reference:
            header.append("Payment Ref")
            rows = [row + [reference] for row in rows]
        return self.csv(header, *rows)

    # import --------------------------------------------------------------------------

    def test_csv_import(self):
        remittance = self.import_file(
            self.standard_file(), user=self.clerk, amount_total=1745.0
        )
        self.assertEqual(remittance.state, "draft")
        self.assertTrue(remittance.name.startswith("REM/"))
        self.assertEqual(remittance.partner_id, self.mueller)
        self.assertEqual(remittance.company_id, self.company)
        self.assertEqual(remittance.amount_total, 1745.0)
        self.assertEqual(remittance.amount_deductions, 55.0)
        self.assertEqual(remittance.file_name, "remittance.csv")
        lines = remittance.line_ids
        self.assertEqual(lines.mapped("row"), [2, 3, 4])
        self.assertEqual(lines.move_id, self.inv1 | self.inv2 | self.inv3)
        self.assertEqual(
            lines.move_line_id,
            self.receivable(self.inv1)
            | self.receivable(self.inv2)
            | self.receivable(self.inv3),
        )
        self.assertEqual(lines.mapped("amount_paid"), [1000.0, 495.0, 250.0])
        self.assertEqual(lines.mapped("amount_deduction"), [0.0, 5.0, 50.0])
        self.assertEqual(lines[2].deduction_reason, "price dispute")
        self.assertEqual(lines.mapped("amount_residual"), [1000.0, 500.0, 300.0])
        self.assertIn("3 invoices", remittance.message_ids[0].body)

    def test_references_tolerant_of_separators_and_padding(self):
        # INV/2026/00002 quoted as "2026-2" (no prefix, no padding)
        prefix, year, number = self.inv2.name.split("/")
        content = self.csv(
            ["Invoice", "Amount"],
            [f"{prefix.lower()} {year} {int(number)}", "500"],
            [f"{year}/{int(self.inv3.name.split('/')[2])}", "300"],
        )
        remittance = self.import_file(content)
        self.assertEqual(remittance.line_ids.move_id, self.inv2 | self.inv3)

    def test_xlsx_import(self):
        content = self.xlsx(
            [
                ["Remittance from Müller Bau", None, None, None],
                ["Doc", "Net", "Deducted", "Why"],
                [self.inv1.name, 1000.0, None, None],
                [self.inv2.name, 480.5, 19.5, "freight"],
            ]
        )
        wizard = self.wizard(
            content,
            filename="mueller.xlsx",
            header_row=2,
            col_invoice="doc",
            col_amount="B",
            col_deduction="3",
            col_deduction_reason="Why",
        )
        self.assertEqual(wizard.file_type, "xlsx")
        action = wizard.action_import()
        remittance = self.env["otc.remittance"].browse(action["res_id"])
        self.assertEqual(remittance.line_ids.mapped("row"), [3, 4])
        self.assertEqual(remittance.line_ids.mapped("amount_paid"), [1000.0, 480.5])
        self.assertEqual(remittance.line_ids[1].amount_deduction, 19.5)
        self.assertEqual(remittance.line_ids[1].deduction_reason, "freight")
        mapping = self.env["otc.remittance.mapping"]._otc_for(
            self.mueller, self.company
        )
        self.assertEqual(mapping.file_type, "xlsx")
        self.assertEqual(mapping.header_row, 2)

    def test_layout_remembered_per_customer(self):
        content = (
            "Zahlungsavis Müller Bau\n"
            "Beleg;Bezahlt;Abzug;Grund\n"
            f"{self.inv1.name};1.000,00;;\n"
            f"{self.inv2.name};490,00;10,00;Skonto\n"
        ).encode("cp1252")
        self.import_file(
            content,
            header_row=2,
            delimiter="semicolon",
            decimal_separator="comma",
            col_invoice="Beleg",
            col_amount="Bezahlt",
            col_deduction="Abzug",
            col_deduction_reason="Grund",
        )
        mapping = self.env["otc.remittance.mapping"].search(
            [("partner_id", "=", self.mueller.id)]
        )
        self.assertEqual(len(mapping), 1)
        self.assertEqual(
            (
                mapping.header_row,
                mapping.delimiter,
                mapping.decimal_separator,
                mapping.col_invoice,
                mapping.col_amount,
                mapping.col_deduction,
            ),
            (2, "semicolon", "comma", "Beleg", "Bezahlt", "Abzug"),
        )
        # next time: the form fills the customer's layout in
        form = Form(self.env["otc.remittance.import"])
        form.partner_id = self.mueller
        self.assertEqual(form.mapping_id, mapping)
        self.assertEqual(form.col_invoice, "Beleg")
        self.assertEqual(form.col_deduction_reason, "Grund")
        self.assertEqual(form.header_row, 2)
        self.assertEqual(form.decimal_separator, "comma")
        form.partner_id = self.rossi
        self.assertFalse(form.mapping_id)
        self.assertFalse(form.col_invoice)
        self.assertEqual(form.header_row, 1)
        # and so does a wizard created in code; the same file imports as is
        content = (
            f"Zahlungsavis\nBeleg;Bezahlt;Abzug;Grund\n{self.inv3.name};300,00;;\n"
        ).encode()
        remittance = self.import_file(content)
        self.assertEqual(remittance.line_ids.move_id, self.inv3)

    def test_detected_columns_remembered(self):
        content = self.csv(
            ["Invoice No.", "Amount Paid"], [self.rossi_invoice.name, "700"]
        )
        self.import_file(content, partner=self.rossi)
        mapping = self.env["otc.remittance.mapping"]._otc_for(self.rossi, self.company)
        self.assertEqual(
            (mapping.col_invoice, mapping.col_amount), ("Invoice No.", "Amount Paid")
        )
        self.assertFalse(mapping.col_deduction)
        # an optional column found by its name is found again, not required
        content = self.csv(
            ["Invoice No.", "Amount Paid", "Deduction"],
            [self.rossi_invoice.name, "690", "10"],
        )
        remittance = self.import_file(content, partner=self.rossi)
        self.assertEqual(remittance.amount_deductions, 10.0)
        self.assertFalse(mapping.col_deduction)

    # every problem by row, nothing created ----------------------------------------------

    def test_malformed_file(self):
        content = (
            f'Invoice,Amount\n{self.inv1.name},1000\n"{self.inv2.name},500\n'.encode()
        )
        self.assert_refused(content, "Row 3: ", "cannot be read")

    def test_oversized_files_are_refused_with_the_row_limit(self):
        rows = "".join(f"INV/X/{i},1\n" for i in range(20001))
        self.assert_refused(
            f"Invoice,Amount\n{rows}".encode(), "more than 20000 rows: split it"
        )
        # XLSX files (and sheets declaring 16,384 columns) are read the same
        # way: tests/test_remittance_parse.py

    def test_binary_file(self):
        self.assert_refused(b"\x00\x01\x02\x03", "neither a text (CSV) file")

    def test_empty_file(self):
        self.assert_refused(b" \n\n", "The file is empty.")
        self.assert_refused(b"", "Choose the remittance file to import.")

    def test_non_numeric_amount(self):
        content = self.csv(
            ["Invoice", "Amount"], [self.inv1.name, "1000"], [self.inv2.name, "5OO"]
        )
        self.assert_refused(content, 'Row 3: the amount paid "5OO" is not an amount.')

    def test_negative_amount(self):
        content = self.csv(["Invoice", "Amount"], [self.inv1.name, "-1000"])
        self.assert_refused(content, "Row 2: ", "negative or a credit")

    def test_missing_column(self):
        content = self.csv(["Invoice", "Total"], [self.inv1.name, "1000"])
        self.assert_refused(content, "No column was found for the amount paid")
        self.assert_refused(content, 'There is no column "Paid"', col_amount="Paid")

    def test_unknown_invoice(self):
        content = self.csv(
            ["Invoice", "Amount"], [self.inv1.name, "1000"], ["INV/2099/99999", "10"]
        )
        self.assert_refused(
            content,
            "Row 3: invoice INV/2099/99999 is not an open invoice of Müller Bau GmbH.",
        )

    def test_invoice_of_another_customer(self):
        content = self.csv(["Invoice", "Amount"], [self.rossi_invoice.name, "700"])
        self.assert_refused(
            content,
            f"Row 2: invoice {self.rossi_invoice.name} belongs to Rossi Trasporti S.p.A.",
        )

    def test_invoice_already_paid(self):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.inv1.ids
        ).create({})._create_payments()
        content = self.csv(["Invoice", "Amount"], [self.inv1.name, "1000"])
        self.assert_refused(
            content, f"Row 2: invoice {self.inv1.name} is already paid."
        )

    def test_more_than_open(self):
        content = self.csv(
            ["Invoice", "Amount", "Deduction"], [self.inv2.name, "490", "20"]
        )
        self.assert_refused(
            content, f"Row 2: invoice {self.inv2.name} has ", "left to pay"
        )

    def test_totals_do_not_add_up(self):
        self.assert_refused(
            self.standard_file(), "add up to", "but the payment is", amount_total=1800.0
        )

    def test_every_problem_at_once(self):
        content = self.csv(
            ["Invoice", "Amount"],
            [self.inv1.name, "1000"],
            ["INV/2099/99999", "10"],
            [self.inv1.name, "1"],
            [self.rossi_invoice.name, "700"],
            ["", "3"],
            [self.inv3.name, "abc"],
        )
        message = self.assert_refused(
            content, "Row 3: ", "Row 4: ", "Row 5: ", "Row 6: ", "Row 7: "
        )
        self.assertLess(message.index("Row 3: "), message.index("Row 7: "))

    def test_statement_line_already_explained(self):
        line = self.make_line(1745.0, label="ACME payment")
        self.env["otc.remittance"].create(
            {"partner_id": self.mueller.id, "statement_line_id": line.id}
        )
        self.assert_refused(
            self.standard_file(), "already explained", statement_line_id=line.id
        )

    # the matcher's hook --------------------------------------------------------------

    def assert_balanced(self, proposal, amount):
        total = (
            sum(a for _aml, a in proposal.allocations)
            - proposal.writeoff
            - proposal.discount
            + proposal.credit
        )
        self.assertAlmostEqual(total, amount, places=2)

    def test_proposal_for_linked_line(self):
        remittance = self.import_file(self.standard_file())
        line = self.make_line(1745.0, label="Müller Bau Sammelzahlung")
        remittance.statement_line_id = line
        self.assertEqual(remittance.state, "matched")
        proposals = self.env["otc.remittance"]._otc_proposals_for_lines(line)
        proposal = proposals[line.id]
        self.assertEqual(proposal.kind, "remittance")
        self.assertEqual(proposal.remittance_id, remittance.id)
        self.assertEqual(proposal.customer_id, self.mueller.id)
        self.assertEqual(proposal.score, 0.97)
        self.assertFalse(proposal.currency)
        # the small deduction is written off (inv2 paid in full), the large one
        # stays open on inv3
        self.assertEqual(
            proposal.allocations,
            (
                (self.receivable(self.inv1).id, 1000.0),
                (self.receivable(self.inv2).id, 500.0),
                (self.receivable(self.inv3).id, 250.0),
            ),
        )
        self.assertEqual(proposal.writeoff, 5.0)
        self.assertEqual(proposal.credit, 0.0)
        self.assert_balanced(proposal, 1745.0)
        reasons = "\n".join(reason.text for reason in proposal.reasons)
        self.assertIn(remittance.name, reasons)
        self.assertIn("written off (damaged box)", reasons)
        self.assertIn("above the write-off limit", reasons)

    def test_proposal_when_the_payment_differs(self):
        remittance = self.import_file(self.standard_file())
        # paid 45 less: the last rows stay partly open, nothing written off there
        line = self.make_line(1700.0, label="part")
        remittance.statement_line_id = line
        proposal = remittance._otc_proposals_for_lines(line)[line.id]
        self.assertLess(proposal.score, 0.9)
        self.assertEqual(
            proposal.allocations[-1], (self.receivable(self.inv3).id, 205.0)
        )
        self.assert_balanced(proposal, 1700.0)
        # paid 5 more: left as customer credit
        remittance.statement_line_id = False
        self.assertEqual(remittance.state, "draft")
        line2 = self.make_line(1750.0, label="more")
        remittance.statement_line_id = line2
        proposal = remittance._otc_proposals_for_lines(line2)[line2.id]
        self.assertEqual(proposal.credit, 5.0)
        self.assert_balanced(proposal, 1750.0)

    def test_proposal_by_reference_or_customer_and_amount(self):
        with_ref = self.import_file(self.standard_file(reference="PAY-778-2026"))
        self.assertEqual(with_ref.payment_reference, "PAY-778-2026")
        found = self.make_line(1745.0, label="MUELLER BAU PAY778 2026")
        other = self.make_line(1745.0, label="unrelated")
        other.partner_id = self.mueller
        proposals = self.env["otc.remittance"]._otc_proposals_for_lines(found | other)
        self.assertEqual(set(proposals), {found.id})
        self.assertEqual(proposals[found.id].score, 0.97)
        self.assertEqual(proposals[found.id].remittance_id, with_ref.id)
        with_ref.action_cancel()
        # an advice without reference: the line's customer and amount
        content = self.csv(["Invoice", "Amount Paid"], [self.inv1.name, "1000"])
        plain = self.import_file(content)
        by_amount = self.make_line(1000.0, label="payment")
        by_amount.partner_id = self.contact_of(self.mueller)
        nobody = self.make_line(1000.0, label="payment")
        proposals = self.env["otc.remittance"]._otc_proposals_for_lines(
            by_amount | nobody
        )
        self.assertEqual(set(proposals), {by_amount.id})
        self.assertEqual(proposals[by_amount.id].score, 0.9)
        self.assertEqual(proposals[by_amount.id].remittance_id, plain.id)
        # two advices fit: a person chooses
        twin = self.env["otc.remittance"].create(
            {
                "partner_id": self.mueller.id,
                "amount_total": 1000.0,
                "line_ids": [
                    Command.create(
                        {
                            "invoice_reference": self.inv2.name,
                            "move_line_id": self.receivable(self.inv2).id,
                            "amount_paid": 500.0,
                        }
                    )
                ],
            }
        )
        proposal = self.env["otc.remittance"]._otc_proposals_for_lines(by_amount)[
            by_amount.id
        ]
        self.assertEqual(proposal.score, 0.6)
        self.assertIn(proposal.remittance_id, (plain | twin).ids)

    def contact_of(self, company_partner):
        return self.env["res.partner"].create(
            {"name": "Accounts payable", "parent_id": company_partner.id}
        )

    # end to end ----------------------------------------------------------------------

    def test_import_with_payment_applies_the_split(self):
        line = self.make_line(1745.0, label="Müller Bau Sammelzahlung")
        wizard = (
            self.env["otc.remittance.import"]
            .with_user(self.clerk)
            .with_context(default_statement_line_id=line.id)
            .create(
                {
                    "file": base64.b64encode(self.standard_file()),
                    "filename": "mueller.csv",
                    "partner_id": self.mueller.id,
                }
            )
        )
        self.assertEqual(wizard.amount_total, 1745.0)
        action = wizard.action_import()
        remittance = self.env["otc.remittance"].browse(action["res_id"])
        self.assertEqual(remittance.state, "applied")
        self.assertEqual(remittance.statement_line_id, line)
        self.assert_paid_by(line, self.inv1 | self.inv2 | self.inv3)
        self.assertEqual(self.inv1.payment_state, "paid")
        self.assertEqual(self.inv2.payment_state, "paid")  # 5.00 written off
        self.assertAlmostEqual(self.inv3.amount_residual, 50.0)  # disputed
        self.assertIn("Applied to the payment", remittance.message_ids[0].body)

    # security ------------------------------------------------------------------------

    def test_multi_company(self):
        other = self.setup_other_company(name="Remittance Co")
        partner = self.env["res.partner"].create(
            {"name": "Elsewhere", "is_company": True}
        )
        self.env["otc.remittance"].create(
            {"partner_id": partner.id, "company_id": other["company"].id}
        )
        self.env["otc.remittance.mapping"].create(
            {"partner_id": partner.id, "company_id": other["company"].id}
        )
        self.assertFalse(
            self.env["otc.remittance"]
            .with_user(self.clerk)
            .search([("partner_id", "=", partner.id)])
        )
        self.assertFalse(
            self.env["otc.remittance.mapping"]
            .with_user(self.clerk)
            .search([("partner_id", "=", partner.id)])
        )

    def test_every_problem_code_has_a_message(self):
        self.assertFalse(set(remittance_engine.MESSAGES) - set(import_wizard.MESSAGES))
