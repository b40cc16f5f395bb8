import io

from odoo import fields, models


class OtcCreditControlExport(models.TransientModel):
    _name = "otc.credit.control.export"
    _inherit = ["otc.xlsx.mixin"]
    _description = "Credit Control Spreadsheet Export"

    control_ids = fields.Many2many("otc.credit.control")

    _COLUMNS = [
        ("partner_id", "Customer"),
        ("company_id", "Company"),
        ("user_id", "Salesperson"),
        ("risk_category_id", "Risk Category"),
        ("credit_policy", "Credit Policy"),
        ("credit_limit", "Credit Limit"),
        ("receivable", "Open Receivables"),
        ("draft_invoices", "Draft Invoices"),
        ("unbilled_orders", "Uninvoiced Orders"),
        ("unallocated", "Unallocated Credits"),
        ("exposure", "Exposure"),
        ("available_credit", "Available Credit"),
        ("overdue_amount", "Overdue Amount"),
        ("oldest_overdue_days", "Oldest Overdue (days)"),
        ("on_hold", "On Hold"),
        ("hold_reason", "Hold Reason"),
        ("review_date", "Next Review"),
        ("credit_status", "Credit Status"),
    ]

    def _build_xlsx(self, controls):
        Control = self.env["otc.credit.control"]
        field_names = [name for name, _label in self._COLUMNS]
        rows = controls.read(field_names) if controls else []
        buffer = io.BytesIO()
        workbook = self._otc_workbook(buffer)
        sheet = workbook.add_worksheet(self.env._("Credit Control"))
        bold = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        money = workbook.add_format({"num_format": "#,##0.00"})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for col, name in enumerate(field_names):
            sheet.write(
                0, col, Control._fields[name]._description_string(self.env), bold
            )
        sheet.freeze_panes(1, 1)
        selections = {
            name: dict(Control._fields[name]._description_selection(self.env))
            for name in field_names
            if Control._fields[name].type == "selection"
        }
        for row_idx, row in enumerate(rows, start=1):
            for col, name in enumerate(field_names):
                field = Control._fields[name]
                value = row[name]
                if field.type == "many2one":
                    sheet.write(row_idx, col, value[1] if value else "")
                elif field.type == "selection":
                    sheet.write(row_idx, col, selections[name].get(value, ""))
                elif field.type == "monetary":
                    sheet.write_number(row_idx, col, value or 0.0, money)
                elif field.type == "date":
                    if value:
                        sheet.write_datetime(
                            row_idx, col, fields.Datetime.to_datetime(value), date_fmt
                        )
                elif field.type == "boolean":
                    sheet.write(row_idx, col, self.env._("Yes") if value else "")
                else:
                    sheet.write(
                        row_idx, col, value if value not in (False, None) else ""
                    )
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, len(field_names) - 1, 16)
        sheet.autofilter(0, 0, max(len(rows), 1), len(field_names) - 1)
        workbook.close()
        return buffer.getvalue()

    def action_export(self):
        self.ensure_one()
        controls = self.control_ids or self.env["otc.credit.control"].search([])
        return self._otc_download(
            self._build_xlsx(controls),
            f"credit_control_{fields.Date.context_today(self)}.xlsx",
        )
