import io

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..engine import aging as aging_engine

# Payment-side move types: customer credits on the receivable account.
_CREDIT_NOTE_TYPES = ("out_refund", "in_invoice", "in_receipt")


class ReportOtcStatement(models.AbstractModel):
    """Statement of account of a customer (``res.partner``) for a period.

    The one place a statement is made: the QWeb PDF (this model feeds the
    template ``otc_collections.report_otc_statement``), the XLSX file and the
    attachment of reminder emails all come from ``_otc_render`` /
    ``_otc_statement_data``, used by the *Statement* wizard, dunning levels
    that attach the statement, the statement email and the customer portal.

    The figures come from the posted receivable journal items of the
    customer's commercial entity in the company, in company currency: one
    movement per journal entry (invoice, credit note, payment...) dated up to
    the period end, and the items still open at the period end (their
    residual then, from the reconciliations dated up to it). The aging engine
    builds the statement from them: opening balance, period lines with
    running balance, closing balance and open items aged in the company's
    buckets. The period and company come with the rendering ``data``
    (``company_id``, ``date_from``, ``date_to``), else from the context key
    ``otc_statement`` (the statement email's template sets it), else the
    current company and the three months before today.
    """

    _name = "report.otc_collections.report_otc_statement"
    _description = "Customer Statement Report"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _default_date_from(self, date_to=None):
        """First day of the month three months before ``date_to`` (today)."""
        date_to = date_to or fields.Date.context_today(self)
        return date_to.replace(day=1) - relativedelta(months=3)

    @api.model
    def _otc_period(self, data=None):
        """(company, date_from, date_to) of a rendering."""
        data = dict(self.env.context.get("otc_statement") or {}, **(data or {}))
        company = self.env["res.company"].browse(
            int(data.get("company_id") or self.env.company.id)
        )
        date_to = fields.Date.to_date(data.get("date_to")) or fields.Date.context_today(
            self
        )
        date_from = fields.Date.to_date(data.get("date_from")) or (
            self._default_date_from(date_to)
        )
        return company, date_from, date_to

    @api.model
    def _otc_report_data(self, company, date_from, date_to):
        """The ``data`` of a rendering of the PDF report."""
        return {
            "company_id": company.id,
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
        }

    @api.model
    def _otc_filename(self, partner, date_to):
        return self.env._(
            "Statement - %(customer)s - %(date)s",
            customer=partner.commercial_partner_id.name,
            date=date_to,
        )

    @api.model
    def _otc_render(self, partner, company, date_from, date_to, fmt="pdf"):
        """The statement of ``partner``'s commercial entity in ``company`` as
        ``(content, filename)``, ``fmt`` being ``pdf`` or ``xlsx``."""
        customer = partner.commercial_partner_id
        filename = self._otc_filename(customer, date_to)
        if fmt == "xlsx":
            data = self._otc_statement_data(customer, company, date_from, date_to)
            return self._otc_xlsx(data), f"{filename}.xlsx"
        if fmt != "pdf":
            raise ValueError(f"unknown statement format {fmt!r}")
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "otc_collections.action_report_otc_statement",
            customer.ids,
            data=self._otc_report_data(company, date_from, date_to),
        )
        return content, f"{filename}.pdf"

    @api.model
    def _otc_attachment(self, partner, company, date_to, res_model, res_id):
        """The statement PDF of ``partner`` (the three months up to
        ``date_to``) stored as an attachment of the given record, for a
        reminder email. The caller decided to send: the attachment is
        written as superuser (a collector reads the record it belongs to)."""
        content, filename = self._otc_render(
            partner, company, self._default_date_from(date_to), date_to, "pdf"
        )
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename,
                    "raw": content,
                    "res_model": res_model,
                    "res_id": res_id,
                    "mimetype": "application/pdf",
                }
            )
        )

    @api.model
    def _get_report_values(self, docids, data=None):
        company, date_from, date_to = self._otc_period(data)
        partners = self.env["res.partner"].browse(docids).commercial_partner_id
        statements = {}
        for partner in partners:
            statements[partner.id] = self.with_context(
                lang=partner.lang or self.env.lang
            )._otc_statement_data(partner, company, date_from, date_to)
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "statements": statements,
        }

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------

    @api.model
    def _otc_check_access(self, partner, company):
        """Statements are for the AR team (and for server code acting for a
        customer, as the portal does), of a company the user works in."""
        if self.env.su:
            return
        user = self.env.user
        if not user.has_group("otc_order_to_cash.group_otc_ar_clerk"):
            raise AccessError(
                self.env._("Only the accounts receivable team can print statements.")
            )
        if company not in user.company_ids:
            raise AccessError(
                self.env._("You have no access to the company %s.", company.name)
            )
        partner.check_access("read")

    @api.model
    def _otc_statement_data(self, partner, company, date_from, date_to):
        """The statement as plain data (dicts, lists, dates and floats)."""
        customer = partner.commercial_partner_id
        self._otc_check_access(customer, company)
        if date_to < date_from:
            raise ValidationError(
                self.env._("The statement period ends before it starts.")
            )
        currency = company.currency_id
        moves = self._fetch_moves(customer, company, date_to)
        items = self._fetch_open_items(customer, company, date_to)
        statement = aging_engine.build_statement(
            date_from,
            date_to,
            [
                (move["date"], move["type"], move["reference"], move["amount"])
                for move in moves.values()
            ],
            [
                (item_id, item["due_date"], item["amount"])
                for item_id, item in items.items()
            ],
            spec=company._otc_aging_bounds(),
            rounding=currency.rounding,
        )
        labels = self._type_labels()
        lines = []
        for line in statement.lines:
            move = moves[line.reference]
            lines.append(
                {
                    "date": line.date,
                    "type": line.type,
                    "label": move["label"] or labels[line.type],
                    "reference": move["name"],
                    "description": move["description"],
                    "debit": line.debit,
                    "credit": line.credit,
                    "amount": line.amount,
                    "balance": line.balance,
                }
            )
        aging = statement.aging
        bucket_labels = self._bucket_labels(aging.buckets)
        open_items = [
            {
                "reference": items[item.id]["name"],
                "description": items[item.id]["description"],
                "date": items[item.id]["date"],
                "due_date": item.due_date,
                "days_overdue": max(item.days_overdue, 0),
                "bucket": item.bucket,
                "bucket_label": bucket_labels[item.bucket],
                "amount": item.amount,
            }
            for item in sorted(
                aging.items, key=lambda i: (i.due_date, items[i.id]["name"], i.id)
            )
        ]
        return {
            "partner_id": customer.id,
            "partner_name": customer.display_name,
            "company_id": company.id,
            "company_name": company.name,
            "currency": currency.name,
            "date_from": statement.start,
            "date_to": statement.end,
            "opening_balance": statement.opening_balance,
            "lines": lines,
            "total_debit": currency.round(sum(line["debit"] for line in lines)),
            "total_credit": currency.round(sum(line["credit"] for line in lines)),
            "closing_balance": statement.closing_balance,
            "buckets": [
                {
                    "index": bucket.index,
                    "label": bucket_labels[bucket.index],
                    "total": total,
                }
                for bucket, total in zip(aging.buckets, aging.totals)
            ],
            "open_items": open_items,
            "open_total": aging.total,
            "open_items_difference": statement.open_items_difference,
        }

    @api.model
    def _type_labels(self):
        return {
            aging_engine.MOVE_INVOICE: self.env._("Invoice"),
            aging_engine.MOVE_CREDIT_NOTE: self.env._("Credit Note"),
            aging_engine.MOVE_PAYMENT: self.env._("Payment"),
        }

    @api.model
    def _bucket_labels(self, buckets):
        labels = {}
        for bucket in buckets:
            if bucket.low is None:
                labels[bucket.index] = (
                    self.env._("Current")
                    if bucket.high == 0
                    else self.env._("Up to %s days", bucket.high)
                )
            elif bucket.high is None:
                labels[bucket.index] = self.env._("Over %s days", bucket.low - 1)
            else:
                labels[bucket.index] = self.env._(
                    "%(low)s-%(high)s days", low=bucket.low, high=bucket.high
                )
        return labels

    @api.model
    def _receivable_lines_sql(self, customer, company, date_to):
        return SQL(
            """
            l.company_id = %(company)s
            AND l.parent_state = 'posted'
            AND l.date <= %(date_to)s
            AND l.partner_id IN (SELECT p.id FROM res_partner p
                                  WHERE p.commercial_partner_id = %(customer)s)
            AND l.account_id IN (SELECT a.id FROM account_account a
                                  WHERE a.account_type = 'asset_receivable')
            """,
            company=company.id,
            date_to=date_to,
            customer=customer.id,
        )

    @api.model
    def _fetch_moves(self, customer, company, date_to):
        """One movement per journal entry, keyed by reference (entry name)."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, m.name, m.ref, m.move_type, l.date, SUM(l.balance),
                       m.origin_payment_id IS NOT NULL
                           OR m.statement_line_id IS NOT NULL
                           OR j.type IN ('bank', 'cash'),
                       j.type
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN account_journal j ON j.id = l.journal_id
                 WHERE %s
                 GROUP BY m.id, m.name, m.ref, m.move_type, l.date, j.type
                 ORDER BY l.date, m.id
                """,
                self._receivable_lines_sql(customer, company, date_to),
            )
        )
        moves = {}
        for (
            move_id,
            name,
            ref,
            move_type,
            date,
            amount,
            is_payment,
            _journal,
        ) in self.env.cr.fetchall():
            label = False
            if move_type in ("out_invoice", "out_receipt", "in_refund"):
                kind = aging_engine.MOVE_INVOICE
            elif move_type in _CREDIT_NOTE_TYPES:
                kind = aging_engine.MOVE_CREDIT_NOTE
            elif is_payment:
                kind = aging_engine.MOVE_PAYMENT
            else:
                # Miscellaneous entries: charges read as invoices, the rest as
                # settlements.
                kind = (
                    aging_engine.MOVE_INVOICE
                    if amount > 0
                    else aging_engine.MOVE_PAYMENT
                )
                label = self.env._("Journal Entry")
            # The same entry on several dates (rare) gives one movement per date.
            reference = name if name not in moves else f"{name} ({date})"
            moves[reference] = {
                "move_id": move_id,
                "name": name,
                "description": ref or "",
                "date": date,
                "type": kind,
                "label": label,
                "reference": reference,
                "amount": amount,
            }
        return moves

    @api.model
    def _fetch_open_items(self, customer, company, date_to):
        """Receivable items open at ``date_to``: residual from the
        reconciliations dated up to it, keyed by journal item id."""
        self.env["account.partial.reconcile"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH items AS (
                    SELECT l.id, m.name, m.ref, l.date,
                           COALESCE(l.date_maturity, l.date) AS due_date,
                           l.balance
                           - COALESCE((SELECT SUM(apr.amount)
                                         FROM account_partial_reconcile apr
                                        WHERE apr.debit_move_id = l.id
                                          AND apr.max_date <= %(date_to)s), 0)
                           + COALESCE((SELECT SUM(apr.amount)
                                         FROM account_partial_reconcile apr
                                        WHERE apr.credit_move_id = l.id
                                          AND apr.max_date <= %(date_to)s), 0)
                           AS residual
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                     WHERE %(lines)s
                )
                SELECT id, name, ref, date, due_date, residual
                  FROM items
                 WHERE ROUND(residual, 6) <> 0
                 ORDER BY due_date, id
                """,
                date_to=date_to,
                lines=self._receivable_lines_sql(customer, company, date_to),
            )
        )
        currency = company.currency_id
        return {
            line_id: {
                "name": name,
                "description": ref or "",
                "date": date,
                "due_date": due_date,
                "amount": float(residual),
            }
            for line_id, name, ref, date, due_date, residual in self.env.cr.fetchall()
            if not currency.is_zero(float(residual))
        }

    @api.model
    def _otc_xlsx(self, data):
        """The statement as an XLSX file (text always written as text)."""
        buffer = io.BytesIO()
        workbook = self.env["otc.xlsx.mixin"]._otc_workbook(buffer)
        bold = workbook.add_format({"bold": True})
        title = workbook.add_format({"bold": True, "font_size": 14})
        header = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        money = workbook.add_format({"num_format": "#,##0.00"})
        money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})

        def write_date(sheet, row, col, value):
            if value:
                sheet.write_datetime(
                    row, col, fields.Datetime.to_datetime(value), date_fmt
                )

        sheet = workbook.add_worksheet(self.env._("Statement"))
        sheet.write(0, 0, self.env._("Statement of Account"), title)
        info = [
            (self.env._("Customer"), data["partner_name"]),
            (self.env._("Company"), data["company_name"]),
            (self.env._("Currency"), data["currency"]),
        ]
        for row, (label, value) in enumerate(info, start=1):
            sheet.write(row, 0, label, bold)
            sheet.write(row, 1, value)
        sheet.write(4, 0, self.env._("From"), bold)
        write_date(sheet, 4, 1, data["date_from"])
        sheet.write(5, 0, self.env._("To"), bold)
        write_date(sheet, 5, 1, data["date_to"])
        columns = [
            self.env._("Date"),
            self.env._("Type"),
            self.env._("Reference"),
            self.env._("Description"),
            self.env._("Debit"),
            self.env._("Credit"),
            self.env._("Balance"),
        ]
        row = 7
        for col, label in enumerate(columns):
            sheet.write(row, col, label, header)
        row += 1
        write_date(sheet, row, 0, data["date_from"])
        sheet.write(row, 2, self.env._("Opening Balance"), bold)
        sheet.write_number(row, 6, data["opening_balance"], money_bold)
        for line in data["lines"]:
            row += 1
            write_date(sheet, row, 0, line["date"])
            sheet.write(row, 1, line["label"])
            sheet.write(row, 2, line["reference"])
            sheet.write(row, 3, line["description"])
            sheet.write_number(row, 4, line["debit"], money)
            sheet.write_number(row, 5, line["credit"], money)
            sheet.write_number(row, 6, line["balance"], money)
        row += 1
        write_date(sheet, row, 0, data["date_to"])
        sheet.write(row, 2, self.env._("Closing Balance"), bold)
        sheet.write_number(row, 4, data["total_debit"], money_bold)
        sheet.write_number(row, 5, data["total_credit"], money_bold)
        sheet.write_number(row, 6, data["closing_balance"], money_bold)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 14)
        sheet.set_column(2, 3, 24)
        sheet.set_column(4, 6, 14)
        sheet.freeze_panes(8, 0)

        sheet = workbook.add_worksheet(self.env._("Open Items"))
        sheet.write(0, 0, self.env._("Open Items at %s", data["date_to"]), title)
        columns = [
            self.env._("Reference"),
            self.env._("Description"),
            self.env._("Date"),
            self.env._("Due Date"),
            self.env._("Days Overdue"),
            self.env._("Bucket"),
            self.env._("Amount"),
        ]
        row = 2
        for col, label in enumerate(columns):
            sheet.write(row, col, label, header)
        for item in data["open_items"]:
            row += 1
            sheet.write(row, 0, item["reference"])
            sheet.write(row, 1, item["description"])
            write_date(sheet, row, 2, item["date"])
            write_date(sheet, row, 3, item["due_date"])
            sheet.write_number(row, 4, item["days_overdue"])
            sheet.write(row, 5, item["bucket_label"])
            sheet.write_number(row, 6, item["amount"], money)
        row += 1
        sheet.write(row, 5, self.env._("Total"), bold)
        sheet.write_number(row, 6, data["open_total"], money_bold)
        row += 2
        sheet.write(row, 0, self.env._("Aging"), header)
        sheet.write(row, 1, self.env._("Amount"), header)
        for bucket in data["buckets"]:
            row += 1
            sheet.write(row, 0, bucket["label"])
            sheet.write_number(row, 1, bucket["total"], money)
        row += 1
        sheet.write(row, 0, self.env._("Total"), bold)
        sheet.write_number(row, 1, data["open_total"], money_bold)
        sheet.set_column(0, 1, 24)
        sheet.set_column(2, 6, 14)
        workbook.close()
        return buffer.getvalue()
