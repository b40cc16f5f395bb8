from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import summary as summary_engine
from .otc_receivable_snapshot import (
    paid_invoice_parts_sql,
    paid_part_columns_sql,
    receivable_account_ids,
)

#: closed months kept summarised: the dashboard's reach (its period, the
#: previous one, each with its count-back year, and the 12 month-ends of the
#: trend: 27 months) with a margin
SUMMARY_MONTHS = 36


def month_start(day):
    return day.replace(day=1)


def month_end(day):
    return day.replace(day=1) + relativedelta(months=1) - timedelta(days=1)


class OtcReceivableMonth(models.Model):
    """Credit sales and collections of a month, per customer.

    The KPIs read, for every month of a window of up to 27 months, the credit
    sales and the invoice parts reconciled in it (days to pay, days late, what
    each collector collected). Summing a million journal items and
    reconciliations on each dashboard load costs seconds; these rows hold the
    sums per company, month and commercial partner (``partner_id``), so that
    the filters (salesperson, collector, country, tag, customer: attributes
    of the partner, joined when read) still apply, plus one row per company
    and month without a partner: the company's total, which the unfiltered
    dashboard reads alone.

    Freshness: the company row of a month is also its marker. A month without
    it is read from the ledger, exactly as before; the daily snapshot job
    (and the backfill) summarises the months that lack it, replacing
    the month's rows (idempotent). A reconciliation made or undone taking
    effect on a summarised day appends its invoice parts as ``delta`` rows
    (:meth:`_otc_append`: the daily cash application of yesterday's
    receipts keeps the open month summarised; the next summary folds them).
    So does a customer invoice or credit note posted, reset or cancelled
    with a date in it (:meth:`_otc_append_sales`). Whatever else changes a
    summarised month's figures deletes its marker in the same transaction
    (see :meth:`_otc_invalidate`): the due date of an invoice item
    reconciled in it changed.
    The open month is summarised as far as yesterday (``last_day``): the
    dashboard's default period ends today, and only today's entries are then
    read from the ledger. Its marker goes only when something dated on or
    before its last day changes (today's postings and payments leave it).
    How a reader combines summary rows and ledger days (a period cutting a
    month, the open month): ``engine/summary.py``.
    """

    _name = "otc.receivable.month"
    _description = "Receivables Monthly Summary"
    _order = "month desc, company_id, partner_id"
    _rec_name = "month"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    month = fields.Date(required=True, readonly=True, help="First day of the month.")
    last_day = fields.Date(
        readonly=True,
        help="Last day summarised: the month's end, or the day before the "
        "summary was made for the open month.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        readonly=True,
        ondelete="cascade",
        help="Commercial partner; empty on the company's total of the month.",
    )
    # with digits: numeric columns, the sums exact like the ledger's
    credit_sales = fields.Float(digits=(16, 2), readonly=True)
    paid_amount = fields.Float(
        digits=(16, 2), readonly=True, help="Invoice parts reconciled in the month."
    )
    paid_days_to_pay = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Sum of amount x days from invoice date to reconciliation.",
    )
    paid_days_late = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Sum of amount x days from due date to reconciliation.",
    )
    paid_count = fields.Integer(readonly=True)
    delta = fields.Boolean(
        readonly=True,
        help="A change appended since the month was summarised: the invoice "
        "parts of reconciliations made (or, negative, undone) on a summarised "
        "day. Readers add it; the next summary of the month replaces it.",
    )
    closing_ar = fields.Float(
        "Receivables at Month-End",
        digits=(16, 2),
        readonly=True,
        help="Company row: the total of the month-end's snapshot (empty without one).",
    )
    closing_current = fields.Float(
        "Not Yet Due at Month-End",
        digits=(16, 2),
        readonly=True,
        help="Company row: the current bucket of the month-end's snapshot.",
    )

    def init(self):
        # The dashboard's reads, index-only where they scan many rows: a
        # company's months (its totals alone when nothing filters; its
        # customers' rows for the worsening payers and the collectors), the
        # month-end snapshots of the trend, the invoices issued in a period;
        # and the open items in a foreign currency (a few among a company's
        # open items).
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS otc_receivable_month_company_month_idx
                ON otc_receivable_month (company_id, month, partner_id);
            CREATE INDEX IF NOT EXISTS otc_receivable_month_totals_idx
                ON otc_receivable_month (company_id, month) WHERE partner_id IS NULL;
            CREATE INDEX IF NOT EXISTS otc_receivable_month_partner_rows_idx
                ON otc_receivable_month (company_id, month)
                INCLUDE (partner_id, credit_sales, paid_amount, paid_days_to_pay,
                         paid_days_late, paid_count)
             WHERE partner_id IS NOT NULL;
            CREATE INDEX IF NOT EXISTS otc_receivable_snapshot_totals_idx
                ON otc_receivable_snapshot (company_id, snapshot_date)
                INCLUDE (bucket, amount, partner_id);
            CREATE INDEX IF NOT EXISTS otc_account_move_line_open_foreign_idx
                ON account_move_line (company_id, account_id)
             WHERE reconciled IS NOT TRUE AND parent_state = 'posted'
               AND currency_id <> company_currency_id;
            CREATE INDEX IF NOT EXISTS otc_account_move_customer_invoice_date_idx
                ON account_move (company_id, invoice_date) INCLUDE (partner_id)
             WHERE move_type = 'out_invoice' AND state = 'posted';
            """
        )

    # ------------------------------------------------------------- reading
    @api.model
    def _otc_coverage(self, company, date_from, date_to):
        """``{first day: last day summarised}`` of the months between the
        dates whose summary is current (their company row exists)."""
        self.env.cr.execute(
            SQL(
                # rows made before ``last_day`` existed: closed months
                "SELECT month, COALESCE(last_day,"
                " (month + interval '1 month - 1 day')::date)"
                " FROM otc_receivable_month WHERE company_id = %s"
                " AND partner_id IS NULL AND delta IS NOT TRUE"
                " AND month BETWEEN %s AND %s",
                company.id,
                month_start(date_from),
                date_to,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _otc_summarised(self, company, date_from, date_to):
        """The first days of the months between the dates whose summary is
        current."""
        return set(self._otc_coverage(company, date_from, date_to))

    @api.model
    def _otc_plan(self, company, date_from, date_to, cuts=()):
        """The engine's plan of the days between the dates (``engine/summary.py``):
        the summary rows to read and the ranges of days read from the
        ledger, for a reader that keeps figures apart after each ``cut``."""
        return summary_engine.plan(
            date_from,
            date_to,
            self._otc_coverage(company, date_from, date_to),
            cuts,
        )

    @api.model
    def _otc_closing(self, company, ends):
        """``{month-end: (total, not yet due)}`` of the month-end snapshots
        among ``ends`` that the company rows keep (see :meth:`_otc_set_closing`)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT month, closing_ar, closing_current FROM otc_receivable_month
                 WHERE company_id = %s AND partner_id IS NULL AND month = ANY(%s)
                   AND delta IS NOT TRUE AND closing_ar IS NOT NULL
                """,
                company.id,
                [month_start(end) for end in ends],
            )
        )
        return {
            month_end(month): (total, current)
            for month, total, current in self.env.cr.fetchall()
        }

    @api.model
    def _otc_set_closing(self, company, as_of):
        """Keep the totals of the snapshot just taken at ``as_of``, when a
        month-end, on its month's company row (if summarised): the trend of
        the unfiltered dashboard reads them instead of the snapshot's rows.
        The snapshot and its totals change in the same transaction."""
        if as_of != month_end(as_of):
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE otc_receivable_month m
                   SET closing_ar = t.total, closing_current = t.current
                  FROM (SELECT SUM(amount) AS total,
                               COALESCE(SUM(amount) FILTER (WHERE bucket = 0), 0) AS current
                          FROM otc_receivable_snapshot
                         WHERE company_id = %(company)s AND snapshot_date = %(as_of)s) t
                 WHERE m.company_id = %(company)s AND m.partner_id IS NULL
                   AND m.delta IS NOT TRUE AND m.month = %(month)s
                """,
                company=company.id,
                as_of=as_of,
                month=month_start(as_of),
            )
        )

    # ------------------------------------------------------------ building
    @api.model
    def _otc_missing(self, company, today=None, months=SUMMARY_MONTHS):
        """Months of the last ``months`` closed ones, and the open month as
        far as yesterday, without a current summary or with changes appended
        since (``delta`` rows)."""
        today = today or fields.Date.context_today(self)
        yesterday = today - timedelta(days=1)
        last = month_start(today) - relativedelta(months=1)
        wanted = {
            last - relativedelta(months=i): month_end(last - relativedelta(months=i))
            for i in range(months)
        }
        if today.day > 1:
            wanted[month_start(today)] = yesterday
        have = self._otc_coverage(company, min(wanted), yesterday)
        # months with changes appended since: summarised again, which folds them
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT month FROM otc_receivable_month WHERE company_id = %s"
                " AND partner_id IS NULL AND delta AND month >= %s",
                company.id,
                min(wanted),
            )
        )
        changed = {row[0] for row in self.env.cr.fetchall()}
        return sorted(
            m for m, day in wanted.items() if have.get(m) != day or m in changed
        )

    @api.model
    def _otc_build(self, company, months, today=None):
        """(Re)summarise ``months`` (first days of months) of ``company`` as
        far as the day before ``today``: one DELETE and one INSERT; returns
        the rows written."""
        if not months:
            return 0
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        accounts = receivable_account_ids(self.env)
        today = today or fields.Date.context_today(self)
        first = min(months)
        last = min(month_end(max(months)), today - timedelta(days=1))
        if last < first:
            return 0
        self.env.cr.execute(
            SQL(
                "DELETE FROM otc_receivable_month WHERE company_id = %s AND month = ANY(%s)",
                company.id,
                list(months),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                WITH sales AS (
                    SELECT cp.id AS partner_id,
                           date_trunc('month', aml.date)::date AS month,
                           SUM(aml.balance) AS credit_sales
                      FROM account_move_line aml
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                     WHERE aml.company_id = %(company)s
                       AND aml.parent_state = 'posted'
                       AND aml.account_id = ANY(%(accounts)s)
                       AND m.move_type IN ('out_invoice', 'out_refund')
                       AND aml.date BETWEEN %(first)s AND %(last)s
                  GROUP BY 1, 2
                ), paid AS (
                    SELECT cp.id AS partner_id,
                           date_trunc('month', apr.max_date)::date AS month,
                           SUM(apr.amount) AS amount,
                           SUM(apr.amount * (apr.max_date - m.invoice_date)) AS to_pay,
                           SUM(apr.amount * (apr.max_date
                               - COALESCE(aml.date_maturity, m.invoice_date))) AS late,
                           COUNT(*) AS n
                    %(parts)s
                  GROUP BY 1, 2
                ), per_partner AS (
                    SELECT COALESCE(s.partner_id, pd.partner_id) AS partner_id,
                           COALESCE(s.month, pd.month) AS month,
                           COALESCE(s.credit_sales, 0) AS credit_sales,
                           COALESCE(pd.amount, 0) AS amount,
                           COALESCE(pd.to_pay, 0) AS to_pay,
                           COALESCE(pd.late, 0) AS late,
                           COALESCE(pd.n, 0) AS n
                      FROM sales s
                 FULL JOIN paid pd ON pd.partner_id = s.partner_id AND pd.month = s.month
                     WHERE COALESCE(s.month, pd.month) = ANY(%(months)s)
                ), closing AS (
                    SELECT snapshot_date, SUM(amount) AS total,
                           COALESCE(SUM(amount) FILTER (WHERE bucket = 0), 0) AS current
                      FROM otc_receivable_snapshot
                     WHERE company_id = %(company)s
                       AND snapshot_date = ANY(%(ends)s)
                  GROUP BY 1
                ), rows AS (
                    SELECT partner_id, month, credit_sales, amount, to_pay, late, n,
                           NULL::numeric AS total, NULL::numeric AS current
                      FROM per_partner
                    UNION ALL
                    -- the company's total, also the marker of a current month,
                    -- with its month-end snapshot's totals
                    SELECT NULL, mo.month, COALESCE(SUM(pp.credit_sales), 0),
                           COALESCE(SUM(pp.amount), 0), COALESCE(SUM(pp.to_pay), 0),
                           COALESCE(SUM(pp.late), 0), COALESCE(SUM(pp.n), 0),
                           MAX(cl.total), MAX(cl.current)
                      FROM unnest(%(months)s::date[]) mo(month)
                 LEFT JOIN per_partner pp ON pp.month = mo.month
                 LEFT JOIN closing cl
                        ON cl.snapshot_date = (mo.month + interval '1 month - 1 day')::date
                  GROUP BY mo.month
                )
                INSERT INTO otc_receivable_month
                       (company_id, month, last_day, partner_id, credit_sales, paid_amount,
                        paid_days_to_pay, paid_days_late, paid_count, closing_ar,
                        closing_current, create_uid, create_date, write_uid, write_date)
                SELECT %(company)s, month,
                       LEAST((month + interval '1 month - 1 day')::date, %(last)s),
                       partner_id, credit_sales, amount, to_pay, late, n,
                       total, current,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM rows
                """,
                company=company.id,
                accounts=accounts,
                first=first,
                last=last,
                months=list(months),
                ends=[month_end(m) for m in months],
                parts=paid_invoice_parts_sql(company.id, first, last, accounts),
                uid=self.env.uid,
            )
        )
        self.invalidate_model()
        return self.env.cr.rowcount

    @api.model
    def _otc_build_missing(self, company, today=None):
        """Summarise the months of ``company`` that lack a current summary (the
        open month as far as the day before ``today``)."""
        return self._otc_build(company, self._otc_missing(company, today), today)

    @api.model
    def _otc_invalidate(self, company_dates):
        """Mark the months of ``company_dates`` (``{(company_id, date)}``) as
        not summarised when the date is one their summary covers: the
        readers go back to the ledger for them until the next daily run
        summarises them again (a date after the open month's last day is
        read from the ledger anyway)."""
        pairs = {(cid, d) for cid, d in company_dates if cid and d}
        if not pairs:
            return
        self.env.cr.execute(
            SQL(
                "DELETE FROM otc_receivable_month m USING unnest(%s::int[], %s::date[])"
                " AS x(company_id, day) WHERE m.partner_id IS NULL"
                " AND m.delta IS NOT TRUE"
                " AND m.company_id = x.company_id"
                " AND m.month = date_trunc('month', x.day)::date"
                " AND x.day <= COALESCE(m.last_day,"
                " (m.month + interval '1 month - 1 day')::date)",
                [p[0] for p in pairs],
                [p[1] for p in pairs],
            )
        )

    @api.model
    def _otc_append(self, parts):
        """Insert the ``delta`` rows of ``parts`` (SQL rows ``company_id,
        partner_id, day, sales, amount, to_pay, late, n``, signed): those
        dated on a day a month's summary covers, summed per customer, plus
        one row per company and month.

        Postings and reconciliations happen every day, mostly dated in the
        open month (yesterday's receipts applied this morning, yesterday's
        invoices posted): taking the month out of the summary for each would
        send the dashboard back to the ledger for the rest of the day. Rows
        are only inserted, never updated, so two transactions at once never
        wait on each other; readers add them; the next summary of the month
        (:meth:`_otc_missing` lists it) replaces them."""
        self.env.cr.execute(
            SQL(
                """
                WITH parts AS (%(parts)s), covered AS (
                    SELECT parts.*, mark.month
                      FROM parts
                      JOIN otc_receivable_month mark
                        ON mark.company_id = parts.company_id
                       AND mark.month = date_trunc('month', parts.day)::date
                       AND mark.partner_id IS NULL AND mark.delta IS NOT TRUE
                       AND parts.day <= COALESCE(mark.last_day,
                               (mark.month + interval '1 month - 1 day')::date)
                ), grouped AS (
                    SELECT company_id, partner_id, month, SUM(sales) AS sales,
                           SUM(amount) AS amount, SUM(to_pay) AS to_pay,
                           SUM(late) AS late, SUM(n) AS n
                      FROM covered
                  GROUP BY GROUPING SETS ((company_id, month, partner_id),
                                          (company_id, month))
                )
                INSERT INTO otc_receivable_month
                       (company_id, month, partner_id, delta, credit_sales, paid_amount,
                        paid_days_to_pay, paid_days_late, paid_count,
                        create_uid, create_date, write_uid, write_date)
                SELECT company_id, month, partner_id, TRUE, sales, amount, to_pay,
                       late, n,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM grouped
                """,
                parts=parts,
                uid=self.env.uid,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model()

    @api.model
    def _otc_append_paid(self, partials, sign):
        """Append what ``partials`` add to the collections of summarised days
        (``sign`` 1: made; -1: about to be undone): the same invoice parts
        and sums as :meth:`_otc_build` (``paid_invoice_parts_sql``)."""
        if not partials:
            return
        partials.flush_recordset(["amount", "max_date", "company_id", "debit_move_id"])
        self._otc_append(
            SQL(
                """
                SELECT apr.company_id, cp.id AS partner_id, apr.max_date AS day,
                       0.0 AS sales, %(columns)s
                %(parts)s
                """,
                columns=paid_part_columns_sql(sign),
                parts=paid_invoice_parts_sql(
                    None,
                    None,
                    None,
                    receivable_account_ids(self.env),
                    partial_ids=partials.ids,
                ),
            )
        )

    @api.model
    def _otc_append_sales(self, moves, sign):
        """Append the credit sales of ``moves`` (customer invoices and credit
        notes) dated on summarised days: what they count now that is posted,
        with ``sign`` (-1 before a change of state, 1 after)."""
        if not moves:
            return
        moves.line_ids.flush_recordset(
            ["balance", "date", "parent_state", "account_id", "partner_id"]
        )
        self._otc_append(
            SQL(
                """
                SELECT aml.company_id, cp.id AS partner_id, aml.date AS day,
                       %(sign)s * aml.balance AS sales,
                       0.0 AS amount, 0.0 AS to_pay, 0.0 AS late, 0 AS n
                  FROM account_move_line aml
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE aml.move_id = ANY(%(ids)s)
                   AND aml.parent_state = 'posted'
                   AND aml.account_id = ANY(%(accounts)s)
                """,
                sign=sign,
                ids=moves.ids,
                accounts=receivable_account_ids(self.env),
            )
        )
