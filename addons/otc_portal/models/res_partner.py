from datetime import date
from typing import NamedTuple

from odoo import api, models
from odoo.tools import SQL

from ..engine import allocation as allocation_engine

INVOICE_TYPES = ("out_invoice", "out_receipt")
# A transaction just created may still be completed at the provider (the
# customer is on its page): its documents count as being paid that long.
IN_FLIGHT_DRAFT_MINUTES = 20
CREDIT_NOTE_TYPES = ("out_refund",)


class PortalItem(NamedTuple):
    """One open receivable document of a customer, as the portal shows it.

    ``residual`` is signed in the document's currency (positive: the customer
    owes it; negative: a credit); ``residual_company`` the same in company
    currency, which the account page adds up per company.
    """

    id: int
    name: str
    move_type: str
    kind: str
    company_id: int
    currency_id: int
    date: date
    due_date: date
    amount_total: float
    residual: float
    residual_company: float
    payment_reference: str
    in_payment: bool
    disputed: float
    promise_date: date | None

    @property
    def payable(self):
        """Invoices and credit notes can be ticked on the payment page."""
        return self.kind in (allocation_engine.INVOICE, allocation_engine.CREDIT_NOTE)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _otc_portal_lines_sql(self, companies):
        """The open receivable journal items of this customer's commercial
        entity (every contact, as on its statement) in ``companies``.

        Written so that PostgreSQL uses Odoo's partial index on unreconciled
        posted items (account, partner): a customer's items cost the same
        however many other items the book holds. The customer comes from
        ``self``, never from a request.
        """
        self.ensure_one()
        customer = self.commercial_partner_id
        partners = (
            self.sudo()
            .with_context(active_test=False)
            .search([("commercial_partner_id", "=", customer.id)])
        )
        self.env.cr.execute(
            "SELECT id FROM account_account WHERE account_type = 'asset_receivable'"
        )
        accounts = [row[0] for row in self.env.cr.fetchall()]
        return SQL(
            """
            l.account_id = ANY(%(accounts)s)
            AND l.partner_id = ANY(%(partners)s)
            AND l.reconciled IS NOT TRUE
            AND l.parent_state = 'posted'
            AND l.company_id = ANY(%(companies)s)
            AND (l.amount_residual <> 0 OR l.amount_residual_currency <> 0)
            """,
            accounts=accounts,
            partners=partners.ids,
            companies=list(companies.ids),
        )

    def _otc_portal_open_items(self, companies, move_ids=None):
        """Open receivable documents of this customer in ``companies``
        (optionally only ``move_ids``), oldest due date first.

        One query for the whole list, whatever its length: the customer's
        open items grouped per journal entry, with the payments in progress,
        open disputes and open promises on each (joined set-based, not looked
        up per document).
        """
        self.ensure_one()
        customer = self.commercial_partner_id
        if not companies:
            return []
        for model in ("account.move.line", "account.move", "payment.transaction"):
            self.env[model].flush_model()
        self.env["otc.dispute"].flush_model(["move_id", "state", "disputed_amount"])
        self.env["otc.promise"].flush_model(["state", "promise_date", "move_ids"])
        promise_rel = self.env["otc.promise"]._fields["move_ids"]
        restrict = SQL("AND l.move_id = ANY(%s)", list(move_ids)) if move_ids else SQL()
        self.env.cr.execute(
            SQL(
                """
                WITH items AS (
                    SELECT l.move_id,
                           MIN(COALESCE(l.date_maturity, l.date)) AS due_date,
                           SUM(l.amount_residual_currency) AS residual,
                           SUM(l.amount_residual) AS residual_company
                      FROM account_move_line l
                     WHERE %(lines)s %(restrict)s
                     GROUP BY l.move_id
                ),
                busy AS (
                    SELECT DISTINCT r.invoice_id
                      FROM payment_transaction t
                      JOIN account_invoice_transaction_rel r ON r.transaction_id = t.id
                     WHERE t.state IN ('pending', 'authorized')
                        OR (t.state = 'done' AND NOT t.is_post_processed)
                        OR (t.state = 'draft'
                            AND t.create_date > (now() AT TIME ZONE 'UTC')
                                - make_interval(mins => %(draft_minutes)s))
                ),
                disputed AS (
                    SELECT d.move_id, SUM(d.disputed_amount) AS amount
                      FROM otc_dispute d
                     WHERE d.partner_id = %(customer)s AND d.state = 'open'
                     GROUP BY d.move_id
                ),
                promised AS (
                    SELECT rel.%(move_col)s AS move_id, MIN(pr.promise_date) AS day
                      FROM otc_promise pr
                      JOIN %(promise_rel)s rel ON rel.%(promise_col)s = pr.id
                     WHERE pr.partner_id = %(customer)s AND pr.state = 'open'
                     GROUP BY rel.%(move_col)s
                )
                SELECT m.id, m.name, m.move_type, m.company_id, m.currency_id,
                       COALESCE(m.invoice_date, m.date), i.due_date,
                       m.amount_total, i.residual, i.residual_company,
                       COALESCE(m.payment_reference, ''),
                       busy.invoice_id IS NOT NULL,
                       COALESCE(disputed.amount, 0),
                       promised.day
                  FROM items i
                  JOIN account_move m ON m.id = i.move_id
                  LEFT JOIN busy ON busy.invoice_id = i.move_id
                  LEFT JOIN disputed ON disputed.move_id = i.move_id
                  LEFT JOIN promised ON promised.move_id = i.move_id
                 ORDER BY i.due_date, m.id
                """,
                lines=self._otc_portal_lines_sql(companies),
                restrict=restrict,
                customer=customer.id,
                draft_minutes=IN_FLIGHT_DRAFT_MINUTES,
                promise_rel=SQL.identifier(promise_rel.relation),
                promise_col=SQL.identifier(promise_rel.column1),
                move_col=SQL.identifier(promise_rel.column2),
            )
        )
        items = []
        for row in self.env.cr.fetchall():
            move_type = row[2]
            if move_type in INVOICE_TYPES:
                kind = allocation_engine.INVOICE
            elif move_type in CREDIT_NOTE_TYPES:
                kind = allocation_engine.CREDIT_NOTE
            else:
                kind = "other"
            items.append(
                PortalItem(
                    row[0],
                    row[1],
                    move_type,
                    kind,
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    float(row[7] or 0.0),
                    float(row[8] or 0.0),
                    float(row[9] or 0.0),
                    row[10],
                    row[11],
                    float(row[12] or 0.0),
                    row[13],
                )
            )
        return items

    def _otc_portal_balance(self, companies, today, upcoming=3):
        """Figures of the account page, summed in the database.

        Returns ``{company id: {"by_due_date": [(due date, owed, credit)],
        "upcoming": [(document, due date, residual, currency id)]}}``: per due
        date the open residuals in company currency, what the customer owes
        and its credits apart (what the aging engine needs: its buckets only
        look at due dates), and the first ``upcoming`` items not yet due.
        """
        self.ensure_one()
        if not companies:
            return {}
        self.env["account.move.line"].flush_model()
        lines = self._otc_portal_lines_sql(companies)
        result = {}
        self.env.cr.execute(
            SQL(
                """
                SELECT l.company_id, COALESCE(l.date_maturity, l.date),
                       SUM(GREATEST(l.amount_residual, 0)),
                       SUM(LEAST(l.amount_residual, 0))
                  FROM account_move_line l
                 WHERE %s
                 GROUP BY 1, 2
                 ORDER BY 1, 2
                """,
                lines,
            )
        )
        for company_id, due_date, owed, credit in self.env.cr.fetchall():
            result.setdefault(company_id, {"by_due_date": [], "upcoming": []})
            result[company_id]["by_due_date"].append(
                (due_date, float(owed), float(credit))
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT company_id, move_name, due_date, residual, currency_id
                  FROM (
                    SELECT l.company_id, l.move_name,
                           COALESCE(l.date_maturity, l.date) AS due_date,
                           l.amount_residual_currency AS residual, l.currency_id,
                           ROW_NUMBER() OVER (
                               PARTITION BY l.company_id
                               ORDER BY COALESCE(l.date_maturity, l.date), l.id
                           ) AS rank
                      FROM account_move_line l
                     WHERE %s
                       AND COALESCE(l.date_maturity, l.date) >= %s
                       AND l.amount_residual > 0
                  ) ranked
                 WHERE rank <= %s
                 ORDER BY company_id, due_date
                """,
                lines,
                today,
                upcoming,
            )
        )
        for company_id, name, due_date, residual, currency_id in self.env.cr.fetchall():
            result[company_id]["upcoming"].append(
                (name, due_date, float(residual), currency_id)
            )
        return result

    def _otc_portal_has_open_items(self, companies):
        """Whether the customer has anything open in ``companies`` (the /my
        card), without reading the items."""
        self.ensure_one()
        if not companies:
            return False
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM account_move_line l WHERE %s LIMIT 1",
                self._otc_portal_lines_sql(companies),
            )
        )
        return bool(self.env.cr.fetchone())

    def _otc_portal_statement(self, company, date_from, date_to, file_format):
        """The statement of account of this customer as ``(content, filename,
        mimetype)``: the one place the portal asks for a statement.

        Same figures as the backend's *Statement*: the collections statement
        report's entry point, run as superuser for this customer only.
        """
        self.ensure_one()
        customer = self.commercial_partner_id
        mimetype = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if file_format == "xlsx"
            else "application/pdf"
        )
        content, filename = (
            self.env["report.otc_collections.report_otc_statement"]
            .sudo()
            .with_company(company)
            ._otc_render(customer, company, date_from, date_to, file_format)
        )
        return content, filename, mimetype

    @api.model
    def _otc_portal_owner(self, customer, company):
        """Who handles what a customer raises on the portal in ``company``:
        its collector (chosen by hand or by the assignment rules, as on the
        worklist), else the company's default collector, else its credit
        manager."""
        line = (
            self.env["otc.worklist"]
            .sudo()
            .search(
                [("partner_id", "=", customer.id), ("company_id", "=", company.id)],
                limit=1,
            )
        )
        # The settings are internal fields: read them as the portal's system.
        company = company.sudo()
        return (
            customer.with_company(company).sudo().otc_collector_id
            or line.collector_id
            or company.otc_default_collector_id
            or company.otc_credit_manager_id
        )
