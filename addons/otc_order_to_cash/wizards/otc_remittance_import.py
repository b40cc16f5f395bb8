import base64
import binascii
import os
from collections import defaultdict
from decimal import Decimal

from odoo import _lt, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import references
from ..engine import remittance as remittance_engine
from ..models.otc_remittance_mapping import COLUMN_FIELDS, DEFAULT_LAYOUT, LAYOUT_FIELDS

MAX_LISTED_PROBLEMS = 50

# problems found here, beyond the engine's
E_UNKNOWN = "unknown_invoice"  # invoice, customer
E_OTHER_CUSTOMER = "other_customer"  # invoice, owner, customer
E_PAID = "invoice_paid"  # invoice
E_AMBIGUOUS = "ambiguous_invoice"  # invoice, candidates
E_OVER = "over_residual"  # invoice, residual, amount, deduction
E_SAME_ITEM = "same_invoice"  # invoice, first_row
E_CURRENCY = "other_currency"  # invoice, currency, remittance_currency
E_STATEMENT_LINE = "statement_line"  # line
E_STATEMENT_LINE_TAKEN = "statement_line_taken"  # line, remittance
E_NO_FILE = "no_file"

# Translatable messages of every problem code, engine's and ours.
MESSAGES = {
    remittance_engine.E_EMPTY: _lt("The file is empty."),
    remittance_engine.E_MALFORMED: _lt("The file cannot be read: %(detail)s"),
    remittance_engine.E_BINARY: _lt(
        "The file is neither a text (CSV) file nor an Excel (XLSX) workbook."
    ),
    remittance_engine.E_LEGACY_XLS: _lt(
        "Old Excel files (.xls) are not supported: save the file as XLSX or CSV."
    ),
    remittance_engine.E_NO_XLSX: _lt(
        "Excel (XLSX) files cannot be read on this server: save the file as CSV."
    ),
    remittance_engine.E_SHEET: _lt(
        "The workbook has no sheet named %(sheet)s (its sheets: %(sheets)s)."
    ),
    remittance_engine.E_NO_HEADER: _lt(
        "The file has no row %(header_row)s to read the column names from."
    ),
    remittance_engine.E_MISSING_COLUMN: _lt(
        'There is no column "%(column)s" for the %(field)s (columns found: '
        "%(headers)s)."
    ),
    remittance_engine.E_UNMAPPED: _lt(
        "No column was found for the %(field)s: set its column in the layout "
        "(columns found: %(headers)s)."
    ),
    remittance_engine.E_SAME_COLUMN: _lt(
        "The %(field)s and the %(other)s are both set to column %(column)s."
    ),
    remittance_engine.E_NO_ROWS: _lt("The file has no invoice rows."),
    remittance_engine.E_TOO_MANY_ROWS: _lt(
        "The file has more than %(limit)s rows: split it."
    ),
    remittance_engine.E_TOTAL: _lt(
        "The amounts paid add up to %(total)s but the payment is %(expected)s "
        "(difference: %(difference)s)."
    ),
    remittance_engine.E_NO_INVOICE: _lt("the invoice reference is missing."),
    remittance_engine.E_NO_AMOUNT: _lt("the amount paid is missing."),
    remittance_engine.E_BAD_AMOUNT: _lt('the %(field)s "%(value)s" is not an amount.'),
    remittance_engine.E_NEGATIVE: _lt(
        'the %(field)s "%(value)s" is negative or a credit: a remittance advice '
        "lists the invoices paid, leave credit notes out."
    ),
    remittance_engine.E_DECIMALS: _lt(
        'the %(field)s "%(value)s" has more than %(digits)s decimals (check the '
        "decimal separator of the layout)."
    ),
    remittance_engine.E_NOTHING: _lt("nothing is paid nor deducted."),
    remittance_engine.E_BAD_DATE: _lt('the %(field)s "%(value)s" is not a date.'),
    remittance_engine.E_DUPLICATE: _lt(
        "invoice %(invoice)s is listed twice (also on row %(first_row)s)."
    ),
    remittance_engine.E_REFERENCES: _lt(
        "the payment reference %(reference)s differs from %(first)s on row "
        "%(first_row)s: one file explains one payment."
    ),
    remittance_engine.E_DATES: _lt(
        "the payment date %(date)s differs from %(first)s on row %(first_row)s: "
        "one file explains one payment."
    ),
    E_UNKNOWN: _lt("invoice %(invoice)s is not an open invoice of %(customer)s."),
    E_OTHER_CUSTOMER: _lt(
        "invoice %(invoice)s belongs to %(owner)s, not to %(customer)s."
    ),
    E_PAID: _lt("invoice %(invoice)s is already paid."),
    E_AMBIGUOUS: _lt(
        "invoice %(invoice)s could be any of %(candidates)s: quote the invoice number."
    ),
    E_OVER: _lt(
        "invoice %(invoice)s has %(residual)s left to pay, less than the %(amount)s "
        "paid and deducted."
    ),
    E_SAME_ITEM: _lt(
        "invoice %(invoice)s is listed twice (also on row %(first_row)s)."
    ),
    E_CURRENCY: _lt(
        "invoice %(invoice)s is in %(currency)s, the payment in "
        "%(remittance_currency)s."
    ),
    E_STATEMENT_LINE: _lt(
        "The payment %(line)s is not an unreconciled incoming payment of this company."
    ),
    E_STATEMENT_LINE_TAKEN: _lt(
        "The payment %(line)s is already explained by the remittance advice "
        "%(remittance)s."
    ),
    E_NO_FILE: _lt("Choose the remittance file to import."),
}
AMOUNT_ARGS = ("total", "expected", "difference", "residual", "amount")


class OtcRemittanceImport(models.TransientModel):
    """Import a customer's remittance advice file.

    The file is read by ``engine.remittance`` with the layout remembered for
    the customer (``otc.remittance.mapping``), each row's invoice reference
    is resolved to one open receivable item of the customer, and the
    amounts are checked against what is open and against the payment.  Every
    problem is collected and reported at once, row by row; nothing is
    created unless the whole file is right.  Then the advice is created, the
    layout remembered, and the payment, when given, matched at once.
    """

    _name = "otc.remittance.import"
    _description = "Import Remittance Advice"
    _inherit = ["otc.remittance.layout.mixin"]

    file = fields.Binary(string="Remittance File", attachment=False)
    filename = fields.Char()
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Payment",
        domain="[('amount', '>', 0), ('is_reconciled', '=', False), "
        "('company_id', '=', company_id)]",
        help="The bank statement line of the payment, when it is already "
        "on a statement: the advice is applied to it at once.",
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('parent_id', '=', False)]",
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_amount",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    amount_total = fields.Monetary(
        string="Payment Total",
        compute="_compute_currency_amount",
        store=True,
        readonly=False,
        precompute=True,
        help="The amounts paid in the file must add up to this. Leave 0 when the "
        "payment is not known yet.",
    )
    mapping_id = fields.Many2one(
        "otc.remittance.mapping",
        string="Remembered Layout",
        compute="_compute_mapping_id",
    )
    remember_layout = fields.Boolean(
        default=True, help="Save this layout as the customer's for the next file."
    )
    # layout: the customer's remembered one, else the defaults
    file_type = fields.Selection(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    delimiter = fields.Selection(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    decimal_separator = fields.Selection(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    header_row = fields.Integer(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    sheet_name = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_invoice = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_amount = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_deduction = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_deduction_reason = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_payment_reference = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )
    col_payment_date = fields.Char(
        compute="_compute_layout", store=True, readonly=False, precompute=True
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        model, active_id = context.get("active_model"), context.get("active_id")
        if (
            active_id
            and not values.get("statement_line_id")
            and not values.get("partner_id")
        ):
            if model == "account.bank.statement.line" and "statement_line_id" in (
                fields_list
            ):
                values["statement_line_id"] = active_id
            elif model == "res.partner" and "partner_id" in fields_list:
                partner = self.env["res.partner"].browse(active_id)
                values["partner_id"] = partner.commercial_partner_id.id
        return values

    @api.depends("statement_line_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.statement_line_id.company_id or self.env.company

    @api.depends("statement_line_id")
    def _compute_partner_id(self):
        for wizard in self:
            partner = wizard.statement_line_id.partner_id.commercial_partner_id
            if partner or not wizard.partner_id:
                wizard.partner_id = partner

    @api.depends("statement_line_id", "company_id")
    def _compute_currency_amount(self):
        for wizard in self:
            line = wizard.statement_line_id
            if line.foreign_currency_id:
                wizard.currency_id = line.foreign_currency_id
                wizard.amount_total = line.amount_currency
            elif line:
                wizard.currency_id = line.currency_id
                wizard.amount_total = line.amount
            else:
                wizard.currency_id = (
                    wizard.currency_id
                    or wizard.company_id.currency_id
                    or self.env.company.currency_id
                )
                wizard.amount_total = wizard.amount_total or 0.0

    @api.depends("partner_id", "company_id")
    def _compute_mapping_id(self):
        Mapping = self.env["otc.remittance.mapping"]
        for wizard in self:
            wizard.mapping_id = Mapping._otc_for(wizard.partner_id, wizard.company_id)

    @api.depends("partner_id", "company_id")
    def _compute_layout(self):
        Mapping = self.env["otc.remittance.mapping"]
        for wizard in self:
            mapping = Mapping._otc_for(wizard.partner_id, wizard.company_id)
            values = mapping._otc_layout_values() if mapping else dict(DEFAULT_LAYOUT)
            if wizard.filename and not mapping:
                values["file_type"] = wizard._otc_type_of(wizard.filename)
            wizard.update(values)

    @api.onchange("filename")
    def _onchange_filename(self):
        if self.filename:
            self.file_type = self._otc_type_of(self.filename)

    @api.model
    def _otc_type_of(self, filename):
        ext = os.path.splitext(filename or "")[1].lower()
        return "xlsx" if ext in (".xlsx", ".xlsm") else "csv"

    # import ------------------------------------------------------------------------

    def action_import(self):
        """Check the whole file, then create the advice (or nothing)."""
        self.ensure_one()
        self.env["otc.remittance"].check_access("create")
        customer = self.partner_id.commercial_partner_id
        if not customer:
            raise UserError(self.env._("Choose the customer who sent the advice."))
        problems = self._otc_check_statement_line()
        content = self._otc_content()
        if content is None:
            problems.append(remittance_engine.Problem(0, E_NO_FILE))
            self._otc_raise(problems)
        result = remittance_engine.read(
            content,
            self._otc_engine_mapping(),
            expected_total=self.amount_total or None,
            digits=self.currency_id.decimal_places,
        )
        problems += result.problems
        resolved, resolve_problems = self._otc_resolve(result.rows, customer)
        problems += resolve_problems
        if problems:
            self._otc_raise(problems)
        remittance = self._otc_create(result, resolved)
        if self.remember_layout:
            self._otc_remember(result)
        if self.statement_line_id:
            self.statement_line_id.action_otc_match()
        return {
            "type": "ir.actions.act_window",
            "res_model": "otc.remittance",
            "res_id": remittance.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _otc_content(self):
        if not self.file:
            return None
        try:
            return base64.b64decode(self.file, validate=False)
        except (binascii.Error, ValueError):
            return None

    def _otc_check_statement_line(self):
        line = self.statement_line_id
        if not line:
            return []
        if line.company_id != self.company_id or line.amount <= 0 or line.is_reconciled:
            return [
                remittance_engine.Problem(
                    0, E_STATEMENT_LINE, {"line": line.display_name}
                )
            ]
        taken = self.env["otc.remittance"].search(
            [("statement_line_id", "=", line.id), ("state", "!=", "cancelled")],
            limit=1,
        )
        if taken:
            return [
                remittance_engine.Problem(
                    0,
                    E_STATEMENT_LINE_TAKEN,
                    {"line": line.display_name, "remittance": taken.name},
                )
            ]
        return []

    def _otc_open_items(self, customer):
        """The customer's open receivable items in the company (oldest first)."""
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id", "child_of", customer.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", ">", 0),
            ],
            order="date_maturity, id",
        )

    @api.model
    def _otc_item_keys(self, item):
        """Lookup keys of an open item, by level (most precise first)."""
        move = item.move_id
        keys = [
            remittance_engine.invoice_key(move.name),
            remittance_engine.invoice_key(move.payment_reference),
        ]
        parsed = references.parse_number(move.name or "")
        if parsed:
            prefix, groups = parsed
            keys += [
                references.skey(prefix, groups),
                references.nkey(groups),
                references.dkey(groups),
            ]
        else:
            keys += ["", "", ""]
        keys.append(remittance_engine.invoice_key(move.ref))
        return keys

    @api.model
    def _otc_reference_keys(self, reference):
        """Lookup keys of a reference quoted in a file, by the same levels."""
        key = remittance_engine.invoice_key(reference)
        keys = [key, key]
        parsed = references.parse_number(reference or "")
        if parsed:
            prefix, groups = parsed
            keys += [
                references.skey(prefix, groups),
                references.nkey(groups),
                references.dkey(groups),
            ]
        else:
            keys += ["", "", ""]
        keys.append(key)
        return keys

    def _otc_resolve(self, rows, customer):
        """{row number: item} for the rows, and the problems found.

        A reference resolves to the one open item of the customer whose
        invoice number (letters and digits compared), payment reference,
        number without padding zeros or separators (``references`` keys:
        with prefix, without it, digits only) or customer reference is that
        reference, trying those in that order.  Several items of one invoice
        (instalments) resolve to the first due.  An unresolved reference is
        looked up among all the company's invoices to tell why.
        """
        items = self._otc_open_items(customer)
        index = defaultdict(lambda: defaultdict(list))  # level -> key -> items
        for item in items:
            for level, key in enumerate(self._otc_item_keys(item)):
                if key and item not in index[level][key]:
                    index[level][key].append(item)
        resolved, problems, unknown, first_row = {}, [], {}, {}
        for row in rows:
            item = None
            for level, key in enumerate(self._otc_reference_keys(row.invoice)):
                found = index[level].get(key) if key else None
                if not found:
                    continue
                if len({i.move_id for i in found}) > 1:
                    names = ", ".join(sorted({i.move_id.name for i in found}))
                    problems.append(
                        remittance_engine.Problem(
                            row.row,
                            E_AMBIGUOUS,
                            {"invoice": row.invoice, "candidates": names},
                        )
                    )
                    item = False
                    break
                item = self._otc_pick_instalment(found, row)
                break
            if item is None:
                unknown[row.row] = row
                continue
            if item is False:
                continue
            if item.id in first_row:
                problems.append(
                    remittance_engine.Problem(
                        row.row,
                        E_SAME_ITEM,
                        {"invoice": row.invoice, "first_row": first_row[item.id]},
                    )
                )
                continue
            first_row[item.id] = row.row
            problem = self._otc_check_amounts(row, item)
            if problem:
                problems.append(problem)
                continue
            resolved[row.row] = item
        problems += self._otc_explain_unknown(list(unknown.values()), customer)
        return resolved, problems

    def _otc_pick_instalment(self, found, row):
        """The item of an invoice a row pays: the one of that amount, else the
        first due (``found`` is sorted by due date)."""
        if len(found) == 1:
            return found[0]
        wanted = float(row.amount + row.deduction)
        for item in found:
            if self.currency_id.compare_amounts(self._otc_residual(item), wanted) == 0:
                return item
        return found[0]

    def _otc_residual(self, item):
        currency = self.currency_id
        if item.currency_id == currency and currency != self.company_id.currency_id:
            return item.amount_residual_currency
        return item.amount_residual

    def _otc_check_amounts(self, row, item):
        currency = self.currency_id
        company_currency = self.company_id.currency_id
        if currency != company_currency and item.currency_id != currency:
            return remittance_engine.Problem(
                row.row,
                E_CURRENCY,
                {
                    "invoice": item.move_id.name,
                    "currency": item.currency_id.name,
                    "remittance_currency": currency.name,
                },
            )
        residual = self._otc_residual(item)
        wanted = float(row.amount + row.deduction)
        if currency.compare_amounts(wanted, residual) > 0:
            return remittance_engine.Problem(
                row.row,
                E_OVER,
                {
                    "invoice": item.move_id.name,
                    "residual": residual,
                    "amount": wanted,
                },
            )
        return None

    def _otc_explain_unknown(self, rows, customer):
        """Why each of these references is no open item of the customer."""
        if not rows:
            return []
        keys = {remittance_engine.invoice_key(row.invoice) for row in rows} - {""}
        owners = {}
        if keys:
            self.env["account.move"].flush_model(
                ["name", "payment_reference", "partner_id", "state", "company_id"]
            )
            found = self.env.execute_query(
                SQL(
                    """
                    SELECT k.ref_key, move.id, partner.commercial_partner_id
                      FROM account_move move
                      JOIN res_partner partner ON partner.id = move.partner_id
                     CROSS JOIN LATERAL (
                         VALUES (regexp_replace(upper(move.name), '[^A-Z0-9]', '', 'g')),
                                (regexp_replace(upper(COALESCE(move.payment_reference, '')),
                                                '[^A-Z0-9]', '', 'g'))
                     ) AS k(ref_key)
                     WHERE move.company_id = %(company)s
                       AND move.state = 'posted'
                       AND move.move_type IN ('out_invoice', 'out_receipt', 'entry')
                       AND k.ref_key = ANY(%(keys)s)
                     ORDER BY move.id
                    """,
                    company=self.company_id.id,
                    keys=list(keys),
                )
            )
            for key, move_id, owner_id in found:
                owners.setdefault(key, (move_id, owner_id))
        problems = []
        for row in rows:
            hit = owners.get(remittance_engine.invoice_key(row.invoice))
            if hit and hit[1] != customer.id:
                owner = self.env["res.partner"].browse(hit[1])
                problems.append(
                    remittance_engine.Problem(
                        row.row,
                        E_OTHER_CUSTOMER,
                        {
                            "invoice": row.invoice,
                            "owner": owner.sudo().display_name,
                            "customer": customer.display_name,
                        },
                    )
                )
            elif hit:
                problems.append(
                    remittance_engine.Problem(row.row, E_PAID, {"invoice": row.invoice})
                )
            else:
                problems.append(
                    remittance_engine.Problem(
                        row.row,
                        E_UNKNOWN,
                        {"invoice": row.invoice, "customer": customer.display_name},
                    )
                )
        return problems

    # outcome -----------------------------------------------------------------------

    def _otc_problem_text(self, problem):
        env = self.env
        labels = env["otc.remittance"]._otc_engine_field_labels()
        args = {}
        for key, value in problem.args.items():
            if key in AMOUNT_ARGS and isinstance(value, Decimal | float | int):
                value = self.currency_id.format(float(value))
            elif key in ("field", "other"):
                value = labels.get(value, value)
            args[key] = value
        message = MESSAGES.get(problem.code)
        if message is None:
            text = remittance_engine.Problem(0, problem.code, problem.args).message()
        else:
            text = remittance_engine.fill(env._(message), args)
        if problem.row:
            return env._("Row %(row)s: %(problem)s", row=problem.row, problem=text)
        return text

    def _otc_raise(self, problems):
        problems = sorted(problems, key=lambda p: p.row)
        lines = [
            "- " + self._otc_problem_text(p) for p in problems[:MAX_LISTED_PROBLEMS]
        ]
        if len(problems) > MAX_LISTED_PROBLEMS:
            lines.append(
                self.env._(
                    "... and %(count)s more problems.",
                    count=len(problems) - MAX_LISTED_PROBLEMS,
                )
            )
        raise UserError(
            self.env._(
                "The remittance file %(file)s was not imported, nothing was "
                "created. Fix these problems and import it again:\n%(problems)s",
                file=self.filename or "",
                problems="\n".join(lines),
            )
        )

    def _otc_create(self, result, resolved):
        line = self.statement_line_id
        date = result.payment_date or line.date or fields.Date.context_today(self)
        paid = float(result.total)
        remittance = (
            self.env["otc.remittance"]
            .with_company(self.company_id)
            .create(
                {
                    "partner_id": self.partner_id.commercial_partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": self.currency_id.id,
                    "date": date,
                    "payment_reference": result.payment_reference or False,
                    "amount_total": self.amount_total or paid,
                    "statement_line_id": line.id,
                    "state": "matched" if line else "draft",
                    "file_name": self.filename,
                    "line_ids": [
                        fields.Command.create(
                            {
                                "row": row.row,
                                "invoice_reference": row.invoice,
                                "move_line_id": resolved[row.row].id,
                                "amount_paid": float(row.amount),
                                "amount_deduction": float(row.deduction),
                                "deduction_reason": row.deduction_reason or False,
                            }
                        )
                        for row in result.rows
                    ],
                }
            )
        )
        remittance.message_post(
            body=self.env._(
                "Imported from %(file)s: %(count)s invoices, %(paid)s paid and "
                "%(deducted)s deducted.",
                file=self.filename or self.env._("a file"),
                count=len(result.rows),
                paid=self.currency_id.format(paid),
                deducted=self.currency_id.format(float(result.deductions)),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return remittance

    def _otc_remember(self, result):
        """Save the layout as the customer's; the required columns found by
        their usual names are saved by the header they had, optional ones
        only when set (found again next time, and not required then)."""
        values = {name: self[name] for name in LAYOUT_FIELDS}
        values["file_type"] = result.file_type or values["file_type"]
        for name, engine_field in COLUMN_FIELDS.items():
            detected = result.columns.get(engine_field)
            if (
                not values[name]
                and detected
                and engine_field in remittance_engine.REQUIRED
            ):
                values[name] = detected
        self.env["otc.remittance.mapping"]._otc_remember(
            self.partner_id, self.company_id, values
        )
