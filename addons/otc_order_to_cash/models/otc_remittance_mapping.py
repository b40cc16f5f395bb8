from odoo import api, fields, models

from ..engine import remittance as remittance_engine

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
DECIMALS = {"point": ".", "comma": ","}
# layout field -> engine mapping field (column specs)
COLUMN_FIELDS = {
    "col_invoice": remittance_engine.INVOICE,
    "col_amount": remittance_engine.AMOUNT,
    "col_deduction": remittance_engine.DEDUCTION,
    "col_deduction_reason": remittance_engine.DEDUCTION_REASON,
    "col_payment_reference": remittance_engine.PAYMENT_REFERENCE,
    "col_payment_date": remittance_engine.PAYMENT_DATE,
}
LAYOUT_FIELDS = (
    "file_type",
    "delimiter",
    "decimal_separator",
    "header_row",
    "sheet_name",
    *COLUMN_FIELDS,
)
DEFAULT_LAYOUT = {
    "file_type": "csv",
    "delimiter": "auto",
    "decimal_separator": "auto",
    "header_row": 1,
    "sheet_name": False,
    **dict.fromkeys(COLUMN_FIELDS, False),
}
_COLUMN_HELP = (
    "A column name as in the file's header row (case does not matter), a "
    "column letter (C) or number (3). Empty: found by its usual names."
)


class OtcRemittanceLayoutMixin(models.AbstractModel):
    """Layout of a remittance file, shared by the remembered mapping of a
    customer and the import wizard."""

    _name = "otc.remittance.layout.mixin"
    _description = "Remittance File Layout"

    file_type = fields.Selection(
        [("csv", "CSV"), ("xlsx", "Excel (XLSX)")],
        help="Type of the customer's files. The import reads either, whatever "
        "is set here.",
    )
    delimiter = fields.Selection(
        [
            ("auto", "Detect"),
            ("comma", "Comma"),
            ("semicolon", "Semicolon"),
            ("tab", "Tab"),
            ("pipe", "Pipe"),
        ],
        string="CSV Delimiter",
    )
    decimal_separator = fields.Selection(
        [
            ("auto", "Detect"),
            ("point", "Point (1,234.56)"),
            ("comma", "Comma (1.234,56)"),
        ]
    )
    header_row = fields.Integer(
        help="Row holding the column names (1 = the first row). Rows above it "
        "are skipped. 0: the file has no header row; columns are then given by "
        "letter or number.",
    )
    sheet_name = fields.Char(help="XLSX sheet to read. Empty: the active sheet.")
    col_invoice = fields.Char(string="Invoice Column", help=_COLUMN_HELP)
    col_amount = fields.Char(
        string="Amount Paid Column",
        help=_COLUMN_HELP + " The amount paid on the invoice, after deductions.",
    )
    col_deduction = fields.Char(string="Deduction Column", help=_COLUMN_HELP)
    col_deduction_reason = fields.Char(
        string="Deduction Reason Column", help=_COLUMN_HELP
    )
    col_payment_reference = fields.Char(
        string="Payment Reference Column", help=_COLUMN_HELP
    )
    col_payment_date = fields.Char(string="Payment Date Column", help=_COLUMN_HELP)

    def _otc_layout_values(self):
        """The layout as field values (to copy it to another record)."""
        self.ensure_one()
        return {name: self[name] for name in LAYOUT_FIELDS}

    def _otc_engine_mapping(self):
        """The layout as the engine's ``Mapping``."""
        self.ensure_one()
        columns = {
            engine_field: (self[name] or "").strip()
            for name, engine_field in COLUMN_FIELDS.items()
        }
        return remittance_engine.Mapping(
            delimiter=DELIMITERS.get(self.delimiter, ""),
            decimal=DECIMALS.get(self.decimal_separator, ""),
            header_row=max(self.header_row, 0),
            sheet=(self.sheet_name or "").strip(),
            **columns,
        )


class OtcRemittanceMapping(models.Model):
    _name = "otc.remittance.mapping"
    _description = "Remittance File Mapping"
    _inherit = ["otc.remittance.layout.mixin"]
    _order = "partner_id, company_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    file_type = fields.Selection(default="csv", required=True)
    delimiter = fields.Selection(default="auto", required=True)
    decimal_separator = fields.Selection(default="auto", required=True)
    header_row = fields.Integer(default=1)

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one remittance file mapping per company.",
        ),
        (
            "header_row_positive",
            "CHECK(header_row >= 0)",
            "The header row is 0 or more.",
        ),
    ]

    @api.model
    def _otc_for(self, partner, company):
        """The mapping of a customer's commercial entity in a company."""
        if not partner:
            return self.browse()
        return self.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )

    @api.model
    def _otc_remember(self, partner, company, values):
        """Create or update the customer's mapping with layout ``values``."""
        values = {k: v for k, v in values.items() if k in LAYOUT_FIELDS}
        mapping = self._otc_for(partner, company)
        if mapping:
            changed = {k: v for k, v in values.items() if mapping[k] != v}
            if changed:
                mapping.write(changed)
            return mapping
        return self.create(
            dict(
                values,
                partner_id=partner.commercial_partner_id.id,
                company_id=company.id,
            )
        )
