import io
import math
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import aging as aging_engine
from ..engine import kpi as kpi_engine
from ..engine import summary as summary_engine
from .otc_receivable_snapshot import (
    open_receivables_sql,
    paid_invoice_parts_sql,
    paid_part_columns_sql,
    receivable_account_ids,
)

#: months of sales the count-back DSO may count back over
COUNTBACK_MONTHS = 12


def _days(start, end):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class CreditSales:
    """Credit sales of a window: the summarised months from the monthly
    summary (``monthly``: ``{first day: (amount, last day summarised)}``),
    the days the plan read from the ledger (``daily``: ``{date: amount}``,
    ``loaded``: the days read). A range is the sum of its days when they
    were read, else its month's summary less the days of the summary's span
    outside it (``engine/summary.py`` planned which days those are);
    ``load(segments)`` reads what the plan did not foresee. Days after the
    window's end (``date_to``: today for the default period, whose trend
    reaches the month's end) count nothing."""

    def __init__(self, monthly, daily, loaded, load, date_to):
        self.monthly = monthly
        self.daily = daily
        self.loaded = loaded
        self._load = load
        self.date_to = date_to

    def _sum(self, days):
        return sum(self.daily.get(day, 0.0) for day in days)

    def between(self, start, end):
        """The credit sales from ``start`` to ``end``, both in one month."""
        end = min(end, self.date_to)
        if end < start:
            return 0.0
        days = _days(start, end)
        if self.loaded.issuperset(days):
            return self._sum(days)
        month = start.replace(day=1)
        if month in self.monthly:
            amount, last = self.monthly[month]
            outside = [day for day in _days(month, last) if not start <= day <= end]
            beyond = [day for day in days if day > last]
            if self.loaded.issuperset(outside) and self.loaded.issuperset(beyond):
                return amount - self._sum(outside) + self._sum(beyond)
        self.daily.update(self._load([(start, end)]))
        self.loaded.update(days)
        return self._sum(days)


class OtcReceivableKpi(models.TransientModel):
    """Receivables KPIs of a company for a period, with the previous period.

    The figures are read with a handful of grouped queries (receivables open
    at the period's start and end, credit sales per month, reconciled
    payments) and the formulas are the engine's (``engine/kpi.py``, where
    each one is written out). Salespeople without AR rights see only their
    own customers' figures.
    """

    _name = "otc.receivable.kpi"
    _inherit = ["otc.xlsx.mixin"]
    _description = "Receivables KPIs"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        required=True,
        default=lambda self: self._otc_default_from(fields.Date.context_today(self)),
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    salesperson_id = fields.Many2one("res.users")
    country_id = fields.Many2one("res.country")
    collector_id = fields.Many2one("res.users")
    partner_id = fields.Many2one("res.partner", string="Customer")
    category_id = fields.Many2one("res.partner.category", string="Customer Tag")

    opening_ar = fields.Monetary("Opening Receivables", readonly=True)
    closing_ar = fields.Monetary("Closing Receivables", readonly=True)
    closing_current_ar = fields.Monetary("Closing Not Yet Due", readonly=True)
    credit_sales = fields.Monetary(readonly=True)
    dso = fields.Float("DSO", digits=(16, 1), readonly=True)
    dso_countback = fields.Float("DSO (count-back)", digits=(16, 1), readonly=True)
    best_dso = fields.Float("Best Possible DSO", digits=(16, 1), readonly=True)
    add = fields.Float("Average Days Delinquent", digits=(16, 1), readonly=True)
    cei = fields.Float("CEI (%)", digits=(16, 1), readonly=True)
    overdue_share = fields.Float("Overdue (%)", digits=(16, 1), readonly=True)
    days_to_pay = fields.Float("Average Days to Pay", digits=(16, 1), readonly=True)
    days_late = fields.Float("Average Days Late", digits=(16, 1), readonly=True)
    dispute_rate = fields.Float(
        "Disputed Invoices (%)",
        digits=(16, 1),
        readonly=True,
        help="Disputes opened in the period per 100 invoices issued in it.",
    )
    dispute_days = fields.Float(
        "Days to Resolve a Dispute",
        digits=(16, 1),
        readonly=True,
        help="Average days from opening to resolution of the disputes closed in the period.",
    )
    promises_kept = fields.Float(
        "Promises Kept (%)",
        digits=(16, 1),
        readonly=True,
        help="Promises due in the period that were kept, out of those kept or broken.",
    )
    dunning_effect = fields.Float(
        "Paid within 14 Days of a Reminder (%)",
        digits=(16, 1),
        readonly=True,
        help="Amount of the items reminded in the period that was paid within 14 days "
        "of the reminder, out of the amount reminded.",
    )
    cash_auto_rate = fields.Float(
        "Receipts Applied Automatically (%)",
        digits=(16, 1),
        readonly=True,
        help="Incoming bank statement lines of the period matched automatically, out of "
        "those that went through cash application.",
    )
    cash_days_to_apply = fields.Float(
        "Days from Receipt to Application",
        digits=(16, 1),
        readonly=True,
        help="Average days from a receipt's bank date to its reconciliation.",
    )
    returns_credited = fields.Monetary(
        "Credited for Returns",
        readonly=True,
        help="Posted credit notes of return authorisations dated in the period.",
    )
    returns_rate = fields.Float(
        "Returns (% of Credit Sales)",
        digits=(16, 1),
        readonly=True,
    )
    previous_dso = fields.Float("DSO, Previous Period", digits=(16, 1), readonly=True)
    previous_cei = fields.Float("CEI, Previous Period", digits=(16, 1), readonly=True)
    undefined = fields.Char(
        readonly=True, help="KPIs without a value (no sales or nothing collectable)."
    )

    @api.model
    def _otc_default_from(self, date_to):
        """The default period's start: three months before its end."""
        return date_to - relativedelta(months=3)

    @api.model
    def _otc_past_dates(self, date_from, date_to):
        """The dates before the period whose open receivables its KPIs read:
        its opening (the previous period's closing) and the previous
        period's opening (see :meth:`_otc_compute`)."""
        length = date_to - date_from
        prev_to = date_from - timedelta(days=1)
        return [prev_to, prev_to - length - timedelta(days=1)]

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for rec in self:
            if rec.date_from > rec.date_to:
                raise UserError(self.env._("The period starts after it ends."))

    # ------------------------------------------------------------------ SQL
    def _otc_partner_filter(self):
        """Condition on the commercial partner ``cp`` for the filters and rights."""
        conditions = self._otc_partner_conditions()
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")

    def _otc_partner_conditions(self):
        """The conditions of :meth:`_otc_partner_filter` (none: the whole
        company, whose monthly totals are summarised)."""
        self.ensure_one()
        conditions = []
        salesperson = self.salesperson_id
        if not self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk"):
            salesperson = self.env.user
        if salesperson:
            conditions.append(SQL("cp.user_id = %s", salesperson.id))
        if self.country_id:
            conditions.append(SQL("cp.country_id = %s", self.country_id.id))
        if self.partner_id:
            conditions.append(
                SQL("cp.id = %s", self.partner_id.commercial_partner_id.id)
            )
        if self.collector_id:
            # company-dependent field: a jsonb of values per company
            conditions.append(
                SQL(
                    "(cp.otc_collector_id ->> %s)::int = %s",
                    str(self.company_id.id),
                    self.collector_id.id,
                )
            )
        if self.category_id:
            conditions.append(
                SQL(
                    "EXISTS (SELECT 1 FROM res_partner_res_partner_category_rel rel"
                    " WHERE rel.partner_id = cp.id AND rel.category_id = %s)",
                    self.category_id.id,
                )
            )
        return conditions

    def _otc_open_sql(self, as_of):
        """Receivables open at the end of ``as_of`` per customer and bucket
        (``partner_id, bucket, amount, current_amount``), filtered.

        A past date with a stored snapshot reads it (what the snapshot
        recorded, a few hundred rows per customer bucket instead of
        replaying the ledger; the not-yet-due part is bucket 0 when the
        first bound is 0); dates without one are rebuilt from the journal
        items, today from the open-item summary (``open_receivables_sql``).
        The journal items are flushed by the caller."""
        bounds = self.company_id._otc_aging_bounds()
        today = fields.Date.context_today(self)
        if as_of < today and bounds[0] == 0:
            self.env["otc.receivable.snapshot"].flush_model()
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM otc_receivable_snapshot"
                    " WHERE company_id = %s AND snapshot_date = %s LIMIT 1",
                    self.company_id.id,
                    as_of,
                )
            )
            if self.env.cr.fetchone():
                filtered = self._otc_partner_conditions()
                return SQL(
                    """
                    SELECT s.partner_id, s.bucket, s.amount,
                           CASE WHEN s.bucket = 0 THEN s.amount ELSE 0.0 END
                               AS current_amount
                      FROM otc_receivable_snapshot s
                      %s
                     WHERE s.company_id = %s AND s.snapshot_date = %s AND %s
                    """,
                    SQL("JOIN res_partner cp ON cp.id = s.partner_id")
                    if filtered
                    else SQL(""),
                    self.company_id.id,
                    as_of,
                    self._otc_partner_filter(),
                )
        return open_receivables_sql(
            self.company_id.id,
            as_of,
            bounds,
            receivable_account_ids(self.env),
            self._otc_partner_filter(),
            current=as_of >= today,
        )

    def _otc_open_summary(self, as_of, memo=None, top=False):
        """What was open at the end of ``as_of``, summed in SQL from
        :meth:`_otc_open_sql`: ``{"buckets": {bucket: (amount, not yet due)},
        "top": [(partner_id, overdue, total)] or None}``, ``top`` the ten
        customers most overdue (by amount, then id) when asked for.
        ``memo``: ``{date: summary}`` shared by the readers of one
        computation (today's rebuild is its costliest read; the period's
        opening is the previous period's closing); its ``"top_at"`` is the
        date whose first read also sums the top customers (the dashboard's
        period end, read first for the KPIs, then for the aging)."""
        if memo is not None:
            cached = memo.get(as_of)
            if cached and (cached["top"] is not None or not top):
                return cached
            top = top or memo.get("top_at") == as_of
        top_sql = SQL("")
        if top:
            top_sql = SQL(
                """
                 UNION ALL
                (SELECT partner_id, NULL, SUM(amount) FILTER (WHERE bucket > 0),
                        SUM(amount)
                   FROM o
               GROUP BY partner_id
                 HAVING SUM(amount) FILTER (WHERE bucket > 0) > 0
               ORDER BY 3 DESC, 1
                  LIMIT 10)
                """
            )
        self.env.cr.execute(
            SQL(
                """
                WITH o AS %s (%s)
                SELECT NULL::int, bucket, SUM(amount), SUM(current_amount)
                  FROM o
              GROUP BY bucket
                %s
                """,
                # read once for both sums when the top customers are asked for
                SQL("MATERIALIZED") if top else SQL("NOT MATERIALIZED"),
                self._otc_open_sql(as_of),
                top_sql,
            )
        )
        summary = {"buckets": {}, "top": [] if top else None}
        for partner_id, bucket, amount, other in self.env.cr.fetchall():
            if partner_id is None:
                summary["buckets"][bucket] = (amount, other)
            else:
                summary["top"].append((partner_id, amount, other))
        if memo is not None:
            memo[as_of] = summary
        return summary

    def _otc_open_totals(self, as_of, memo=None):
        """(total, not yet due) receivables open at the end of ``as_of``."""
        buckets = self._otc_open_summary(as_of, memo)["buckets"].values()
        return (
            math.fsum(amount for amount, _current in buckets),
            math.fsum(current for _amount, current in buckets),
        )

    def _otc_cuts(self):
        """The days after which the KPIs of the period and of the previous one
        keep figures apart (their ends): ``engine/summary.py`` splits a
        month there."""
        prev_to, prev_opening = self._otc_past_dates(self.date_from, self.date_to)
        return (prev_to, self.date_to, prev_opening)

    def _otc_daily_sales(self, date_from, date_to):
        """Credit sales (receivable side of posted customer invoices and credit
        notes, taxes included like the receivables) between the dates, as a
        :class:`CreditSales`: the summarised months from
        ``otc.receivable.month`` (the company's total when nothing filters,
        else its customers' rows), the days the plan reads from the journal
        items (``engine/summary.py``)."""
        Month = self.env["otc.receivable.month"]
        coverage = Month._otc_coverage(self.company_id, date_from, date_to)
        plan = summary_engine.plan(date_from, date_to, coverage, self._otc_cuts())
        months = [month for month, _day in plan.months]
        monthly = {}
        if months:
            if self._otc_partner_conditions():
                query = SQL(
                    """
                    SELECT s.month, SUM(s.credit_sales)
                      FROM otc_receivable_month s
                      JOIN res_partner cp ON cp.id = s.partner_id
                     WHERE s.company_id = %s AND s.month = ANY(%s) AND %s
                  GROUP BY 1
                    """,
                    self.company_id.id,
                    months,
                    self._otc_partner_filter(),
                )
            else:
                query = SQL(
                    "SELECT month, SUM(credit_sales) FROM otc_receivable_month"
                    " WHERE company_id = %s AND month = ANY(%s) AND partner_id IS NULL"
                    " GROUP BY month",
                    self.company_id.id,
                    months,
                )
            self.env.cr.execute(query)
            amounts = dict.fromkeys(months, 0.0)
            amounts.update(self.env.cr.fetchall())
            monthly = {month: (amounts[month], coverage[month]) for month in months}
        segments = summary_engine.ranges(plan)
        loaded = {day for start, end in segments for day in _days(start, end)}
        return CreditSales(
            monthly,
            self._otc_sales_days(segments),
            loaded,
            self._otc_sales_days,
            date_to,
        )

    def _otc_sales_days(self, segments):
        """Credit sales per day of the ``(start, end)`` ranges, from the journal
        items: ``{date: amount}``."""
        if not segments:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.date, SUM(aml.balance)
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND aml.account_id = ANY(%(accounts)s)
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND (%(days)s)
                   AND %(partners)s
              GROUP BY 1
                """,
                company=self.company_id.id,
                accounts=receivable_account_ids(self.env),
                days=SQL(" OR ").join(
                    SQL("aml.date BETWEEN %s AND %s", start, end)
                    for start, end in segments
                ),
                partners=self._otc_partner_filter(),
            )
        )
        return dict(self.env.cr.fetchall())

    def _otc_sales_by_month(self, date_from, date_to, daily=None):
        """Credit sales per month, newest first, as ``(sales, days)`` with
        ``days`` the days of that month inside the range. ``daily``: the
        :meth:`_otc_daily_sales` of a range covering this one (read when not
        given)."""
        if daily is None:
            daily = self._otc_daily_sales(date_from, date_to)
        months = []
        cursor = date_to.replace(day=1)
        end = date_to
        while end >= date_from:
            start = max(cursor, date_from)
            months.append((daily.between(start, end), (end - start).days + 1))
            end = cursor - timedelta(days=1)
            cursor = end.replace(day=1)
        return months

    def _otc_paid_sql(self, date_from, date_to, cuts=(), filtered=True, totals=False):
        """The customer-invoice parts reconciled between the dates
        (``paid_invoice_parts_sql``) as rows ``(partner_id, day, amount,
        to_pay, late, n)``: ``to_pay`` and ``late`` the amount x days from
        the invoice date and from the due date, ``n`` the parts counted.

        The summarised months come from ``otc.receivable.month``, the days the
        plan reads from the reconciliations (``engine/summary.py``: a month
        a ``cut`` splits or the window's end cuts is its summary counted on
        its large side less the days outside it, which are also read on
        their own dates; ``day`` is the day a row counts on). ``filtered``:
        only the customers of the filters; ``totals``: when nothing filters,
        a month's company total instead of its customers (``partner_id``
        empty: for sums over everything)."""
        plan = self.env["otc.receivable.month"]._otc_plan(
            self.company_id, date_from, date_to, cuts
        )
        conditions = self._otc_partner_conditions() if filtered else []
        partners = SQL(" AND ").join(conditions) if conditions else SQL("TRUE")
        columns = SQL(
            "s.partner_id, x.day, s.paid_amount AS amount,"
            " s.paid_days_to_pay AS to_pay, s.paid_days_late AS late, s.paid_count AS n"
        )
        months = SQL(
            "unnest(%s::date[], %s::date[]) AS x(month, day)",
            [month for month, _day in plan.months],
            [day for _month, day in plan.months],
        )
        parts = []
        if plan.months and conditions:
            parts.append(
                SQL(
                    """
                    SELECT %s
                      FROM %s
                      JOIN otc_receivable_month s ON s.month = x.month
                      JOIN res_partner cp ON cp.id = s.partner_id
                     WHERE s.company_id = %s AND %s
                    """,
                    columns,
                    months,
                    self.company_id.id,
                    partners,
                )
            )
        elif plan.months:
            parts.append(
                SQL(
                    "SELECT %s FROM %s JOIN otc_receivable_month s ON s.month = x.month"
                    " WHERE s.company_id = %s AND s.partner_id IS %s NULL",
                    columns,
                    months,
                    self.company_id.id,
                    SQL("") if totals else SQL("NOT"),
                )
            )
        accounts = receivable_account_ids(self.env)
        for piece in plan.ledger:
            parts.append(
                SQL(
                    """
                    SELECT cp.id AS partner_id, %(day)s AS day, %(columns)s
                    %(parts)s
                    """,
                    day=SQL("%s::date", piece.day)
                    if piece.day
                    else SQL("apr.max_date"),
                    columns=paid_part_columns_sql(piece.sign),
                    parts=paid_invoice_parts_sql(
                        self.company_id.id, piece.start, piece.end, accounts, partners
                    ),
                )
            )
        if not parts:
            return SQL(
                "SELECT NULL::int AS partner_id, NULL::date AS day, 0.0 AS amount,"
                " 0.0 AS to_pay, 0.0 AS late, 0 AS n WHERE FALSE"
            )
        return SQL(" UNION ALL ").join(parts)

    def _otc_payment_sums(self, date_from, date_to):
        """Amount-weighted sums over the invoice parts reconciled in the period."""
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(SUM(p.amount), 0), COALESCE(SUM(p.to_pay), 0),
                       COALESCE(SUM(p.late), 0), COALESCE(SUM(p.n), 0)
                  FROM (%s) p
                """,
                self._otc_paid_sql(date_from, date_to, totals=True),
            )
        )
        return kpi_engine.pattern_from_sums(*self.env.cr.fetchone())

    def _otc_period(self, date_from, date_to, daily=None, memo=None):
        """The engine's :class:`PeriodKpis` and the figures behind them
        (``daily``: the credit sales per day, when already read; ``memo``:
        see :meth:`_otc_open_summary`)."""
        opening, _current = self._otc_open_totals(date_from - timedelta(days=1), memo)
        closing, closing_current = self._otc_open_totals(date_to, memo)
        first = date_from.replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1)
        if daily is None:
            daily = self._otc_daily_sales(first, date_to)
        months = self._otc_sales_by_month(first, date_to, daily)
        in_period = self._otc_sales_by_month(date_from, date_to, daily)
        figures = kpi_engine.PeriodFigures(
            date_from=date_from,
            date_to=date_to,
            opening_ar=opening,
            closing_ar=closing,
            closing_current_ar=closing_current,
            credit_sales=sum(s for s, _d in in_period),
            months=tuple(months),
        )
        return figures, kpi_engine.period_kpis(figures)

    def _otc_one(self, query):
        self.env.cr.execute(query)
        return self.env.cr.fetchone()

    def _otc_ratios(self, date_from, date_to):
        """Collections ratios of the period (``None`` when nothing to measure)."""
        company = self.company_id.id
        partners = self._otc_partner_filter()
        # the customers only when filtered: unfiltered, the count is read
        # from an index of the posted customer invoices by date
        customers = (
            SQL(
                """JOIN res_partner p ON p.id = m.partner_id
                   JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)"""
            )
            if self._otc_partner_conditions()
            else SQL("")
        )
        invoices, disputes = self._otc_one(
            SQL(
                """
                SELECT (SELECT COUNT(*) FROM account_move m
                          %(customers)s
                         WHERE m.company_id = %(company)s AND m.move_type = 'out_invoice'
                           AND m.state = 'posted' AND m.partner_id IS NOT NULL
                           AND m.invoice_date BETWEEN %(date_from)s AND %(date_to)s
                           AND %(partners)s),
                       (SELECT COUNT(*) FROM otc_dispute d
                          JOIN res_partner cp ON cp.id = d.partner_id
                         WHERE d.company_id = %(company)s
                           AND d.create_date::date BETWEEN %(date_from)s AND %(date_to)s
                           AND %(partners)s)
                """,
                company=company,
                customers=customers,
                date_from=date_from,
                date_to=date_to,
                partners=partners,
            )
        )
        (dispute_days,) = self._otc_one(
            SQL(
                """
                SELECT AVG(EXTRACT(EPOCH FROM d.resolved_on - d.create_date) / 86400.0)
                  FROM otc_dispute d
                  JOIN res_partner cp ON cp.id = d.partner_id
                 WHERE d.company_id = %s AND d.state IN ('resolved', 'rejected')
                   AND d.resolved_on::date BETWEEN %s AND %s AND %s
                """,
                company,
                date_from,
                date_to,
                partners,
            )
        )
        kept, broken = self._otc_one(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE pr.state = 'kept'),
                       COUNT(*) FILTER (WHERE pr.state = 'broken')
                  FROM otc_promise pr
                  JOIN res_partner cp ON cp.id = pr.partner_id
                 WHERE pr.company_id = %s AND pr.promise_date BETWEEN %s AND %s AND %s
                """,
                company,
                date_from,
                date_to,
                partners,
            )
        )
        levels = self._otc_dunning_by_level(date_from, date_to)
        reminded = sum(row["reminded"] for row in levels)
        paid = sum(row["paid"] for row in levels)
        auto, applied, days_to_apply = self._otc_one(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE st.otc_match_state = 'auto'),
                       COUNT(*) FILTER (WHERE st.otc_match_state IS NOT NULL),
                       AVG((SELECT MAX(apr.create_date)::date
                              FROM account_move_line l
                              JOIN account_partial_reconcile apr
                                ON l.id IN (apr.debit_move_id, apr.credit_move_id)
                             WHERE l.move_id = st.move_id) - st_move.date)
                          FILTER (WHERE st.otc_match_state IN ('auto', 'manual'))
                  FROM account_bank_statement_line st
                  JOIN account_move st_move ON st_move.id = st.move_id
                 WHERE st.company_id = %s AND st.amount > 0
                   AND st_move.date BETWEEN %s AND %s
                """,
                company,
                date_from,
                date_to,
            )
        )
        (returns_credited,) = self._otc_one(
            SQL(
                """
                SELECT COALESCE(SUM(-m.amount_total_signed), 0)
                  FROM account_move m
                  JOIN res_partner cp ON cp.id = m.commercial_partner_id
                 WHERE m.company_id = %s AND m.move_type = 'out_refund'
                   AND m.state = 'posted' AND m.otc_return_id IS NOT NULL
                   AND m.invoice_date BETWEEN %s AND %s AND %s
                """,
                company,
                date_from,
                date_to,
                partners,
            )
        )
        return {
            "returns_credited": returns_credited,
            "dispute_rate": kpi_engine.ratio(disputes, invoices),
            "dispute_days": dispute_days,
            "promises_kept": kpi_engine.ratio(kept, kept + broken),
            "dunning_effect": kpi_engine.ratio(paid, reminded),
            "cash_auto_rate": kpi_engine.ratio(auto, applied),
            "cash_days_to_apply": days_to_apply,
        }

    def _otc_dunning_by_level(self, date_from, date_to):
        """Per dunning level, the reminders sent in the period: how many, the
        amount reminded and the part of it paid within 14 days of the
        reminder (reconciliations of the reminded item dated by then)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT c.level_sequence, COUNT(DISTINCT c.id),
                       COALESCE(SUM(cl.residual), 0),
                       COALESCE(SUM(LEAST(cl.residual, (
                           SELECT COALESCE(SUM(apr.amount), 0)
                             FROM account_partial_reconcile apr
                            WHERE apr.debit_move_id = cl.move_line_id
                              AND apr.max_date BETWEEN c.date AND c.date + 14))), 0)
                  FROM otc_dunning_communication_line cl
                  JOIN otc_dunning_communication c ON c.id = cl.communication_id
                  JOIN res_partner cp ON cp.id = c.partner_id
                 WHERE c.company_id = %s AND c.state = 'sent'
                   AND c.date BETWEEN %s AND %s AND %s
              GROUP BY 1
              ORDER BY 1
                """,
                self.company_id.id,
                date_from,
                date_to,
                self._otc_partner_filter(),
            )
        )
        return [
            {
                "level": level,
                "reminders": count,
                "reminded": reminded,
                "paid": paid,
                "share": kpi_engine.ratio(paid, reminded),
            }
            for level, count, reminded, paid in self.env.cr.fetchall()
        ]

    def _otc_disputes_by_reason(self):
        """Per dispute reason, over the period: disputes opened and the amount
        they dispute, disputes closed (resolved or rejected) and the average
        days from opening to closing of those."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT d.reason_id,
                       COUNT(*) FILTER (WHERE d.create_date::date
                                        BETWEEN %(date_from)s AND %(date_to)s),
                       COALESCE(SUM(d.disputed_amount) FILTER (WHERE d.create_date::date
                                        BETWEEN %(date_from)s AND %(date_to)s), 0),
                       COUNT(*) FILTER (WHERE d.state IN ('resolved', 'rejected')
                                        AND d.resolved_on::date
                                        BETWEEN %(date_from)s AND %(date_to)s),
                       AVG(EXTRACT(EPOCH FROM d.resolved_on - d.create_date) / 86400.0)
                           FILTER (WHERE d.state IN ('resolved', 'rejected')
                                   AND d.resolved_on::date
                                   BETWEEN %(date_from)s AND %(date_to)s)
                  FROM otc_dispute d
                  JOIN res_partner cp ON cp.id = d.partner_id
                 WHERE d.company_id = %(company)s AND %(partners)s
                   AND (d.create_date::date BETWEEN %(date_from)s AND %(date_to)s
                        OR d.resolved_on::date BETWEEN %(date_from)s AND %(date_to)s)
              GROUP BY 1
              ORDER BY 3 DESC
                """,
                company=self.company_id.id,
                date_from=self.date_from,
                date_to=self.date_to,
                partners=self._otc_partner_filter(),
            )
        )
        rows = self.env.cr.fetchall()
        names = dict(
            self.env["otc.dispute.reason"]
            .sudo()
            .browse([r[0] for r in rows if r[0]])
            .mapped(lambda r: (r.id, r.name))
        )
        return [
            {
                "reason_id": reason_id or False,
                "name": names.get(reason_id) or self.env._("No Reason"),
                "opened": opened,
                "amount": amount,
                "closed": closed,
                "days_to_resolve": days,
            }
            for reason_id, opened, amount, closed, days in rows
        ]

    def _otc_fx_exposure(self):
        """Open receivables in foreign currencies, booked vs at today's rate."""
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT cur.name, aml.currency_id, SUM(aml.amount_residual_currency),
                       SUM(aml.amount_residual)
                  FROM account_move_line aml
                  JOIN res_currency cur ON cur.id = aml.currency_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE aml.company_id = %s AND aml.parent_state = 'posted'
                   AND aml.account_id = ANY(%s)
                   -- as written in the index of the open foreign-currency items
                   -- (otc.receivable.month's init)
                   AND aml.reconciled IS NOT TRUE AND NOT aml.reconciled
                   AND aml.currency_id <> aml.company_currency_id
                   AND aml.currency_id != %s AND %s
              GROUP BY 1, 2
                """,
                self.company_id.id,
                receivable_account_ids(self.env),
                self.company_id.currency_id.id,
                self._otc_partner_filter(),
            )
        )
        rows = self.env.cr.fetchall()
        company_currency = self.company_id.currency_id
        today = fields.Date.context_today(self)
        rates = {
            name: self.env["res.currency"]
            .browse(currency_id)
            ._get_conversion_rate(
                self.env["res.currency"].browse(currency_id),
                company_currency,
                self.company_id,
                today,
            )
            for name, currency_id, _a, _b in rows
        }
        return kpi_engine.fx_exposure(
            [
                kpi_engine.OpenForeign(name, amount, booked)
                for name, _cid, amount, booked in rows
            ],
            rates,
            company_currency.rounding,
        )

    # ------------------------------------------------------------ actions
    def _otc_sales_window(self, months=12):
        """First day of the credit sales the KPIs of the period, of the
        previous period (each with its count-back year) and the ``months``
        month-ends of the trend read."""
        length = self.date_to - self.date_from
        prev_from = self.date_from - timedelta(days=1) - length
        return min(
            prev_from.replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1),
            self.date_to.replace(day=1)
            - relativedelta(months=months + COUNTBACK_MONTHS - 1),
        )

    def _otc_without_jit(self):
        # PostgreSQL compiles a plan whose estimated cost is high (the ledger
        # rebuilds are estimated at ten times their rows) just in time, which
        # took 0.3 s of a 0.5 s query here: the screens' reads are short, so
        # this transaction plans them without it
        self.env.cr.execute("SET LOCAL jit = off")

    def action_compute(self):
        self.ensure_one()
        self._otc_without_jit()
        return self._otc_compute()

    def _otc_compute(self, daily=None, memo=None):
        """Compute and write the KPIs; ``daily``: credit sales per day from
        :meth:`_otc_sales_window` on (read here when not given); ``memo``:
        see :meth:`_otc_open_summary`."""
        # the figures are read in SQL: journal items, reconciliations, but also
        # customers' filters, disputes, promises and reminders just written
        self.env.flush_all()
        if daily is None:
            daily = self._otc_daily_sales(self._otc_sales_window(0), self.date_to)
        memo = {} if memo is None else memo
        figures, kpis = self._otc_period(self.date_from, self.date_to, daily, memo)
        length = self.date_to - self.date_from
        prev_to = self.date_from - timedelta(days=1)
        _prev_figures, previous = self._otc_period(
            prev_to - length, prev_to, daily, memo
        )
        pattern = self._otc_payment_sums(self.date_from, self.date_to)
        ratios = self._otc_ratios(self.date_from, self.date_to)
        returns_credited = ratios.pop("returns_credited")
        values = {
            **ratios,
            "returns_rate": kpi_engine.ratio(returns_credited, figures.credit_sales),
            "dso": kpis.dso,
            "dso_countback": kpis.dso_countback,
            "best_dso": kpis.best_dso,
            "add": kpis.add,
            "cei": kpis.cei,
            "overdue_share": kpis.overdue_share,
            "days_to_pay": pattern.days_to_pay,
            "days_late": pattern.days_late,
            "previous_dso": previous.dso,
            "previous_cei": previous.cei,
        }
        undefined = [
            self._fields[name].string for name, v in values.items() if v is None
        ]
        self.write(
            {
                **{name: v or 0.0 for name, v in values.items()},
                "opening_ar": figures.opening_ar,
                "closing_ar": figures.closing_ar,
                "closing_current_ar": figures.closing_current_ar,
                "credit_sales": figures.credit_sales,
                "returns_credited": returns_credited,
                "undefined": "; ".join(undefined),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def _otc_kpi_rows(self):
        """(label, value, previous value) of every KPI on the screen."""
        previous = {"dso": self.previous_dso, "cei": self.previous_cei}
        undefined = set((self.undefined or "").split("; "))
        names = [
            "dso",
            "dso_countback",
            "best_dso",
            "add",
            "cei",
            "overdue_share",
            "days_to_pay",
            "days_late",
            "dispute_rate",
            "dispute_days",
            "promises_kept",
            "dunning_effect",
            "cash_auto_rate",
            "cash_days_to_apply",
            "returns_rate",
            "returns_credited",
            "opening_ar",
            "credit_sales",
            "closing_ar",
            "closing_current_ar",
        ]
        rows = []
        for name in names:
            label = self._fields[name]._description_string(self.env)
            value = None if label in undefined else self[name]
            rows.append((label, value, previous.get(name)))
        return rows

    def action_export_xlsx(self):
        """The KPI table, the aging and the foreign currencies as a spreadsheet."""
        self.ensure_one()
        self.action_compute()
        aging, _top = self._otc_by_bucket_and_customer()
        buffer = io.BytesIO()
        workbook = self._otc_workbook(buffer)
        bold = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        number = workbook.add_format({"num_format": "#,##0.0"})
        sheet = workbook.add_worksheet(self.env._("KPIs"))
        sheet.write_row(0, 0, [self.env._("Company"), self.company_id.name])
        sheet.write_row(
            1, 0, [self.env._("Period"), f"{self.date_from} - {self.date_to}"]
        )
        sheet.write_row(
            3,
            0,
            [self.env._("KPI"), self.env._("Value"), self.env._("Previous Period")],
            bold,
        )
        for row, (label, value, previous) in enumerate(self._otc_kpi_rows(), start=4):
            sheet.write_string(row, 0, label)
            if value is None:
                sheet.write_string(row, 1, self.env._("n/a"))
            else:
                sheet.write_number(row, 1, value, number)
            if previous is not None:
                sheet.write_number(row, 2, previous, number)
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, 2, 16)
        sheet = workbook.add_worksheet(self.env._("Aging"))
        sheet.write_row(
            0, 0, [self.env._("Bucket"), self.env._("Open at %s", self.date_to)], bold
        )
        for row, bucket in enumerate(aging, start=1):
            sheet.write_string(row, 0, bucket["label"])
            sheet.write_number(row, 1, bucket["amount"], number)
        sheet = workbook.add_worksheet(self.env._("Currencies"))
        sheet.write_row(
            0,
            0,
            [
                self.env._("Currency"),
                self.env._("Open"),
                self.env._("Booked"),
                self.env._("At Today's Rate"),
                self.env._("Unrealised"),
            ],
            bold,
        )
        for row, fx in enumerate(self._otc_fx_exposure(), start=1):
            sheet.write_string(row, 0, fx.currency)
            sheet.write_row(
                row,
                1,
                [fx.amount_currency, fx.booked, fx.at_today, fx.unrealised],
                number,
            )
        workbook.close()
        return self._otc_download(
            buffer.getvalue(), f"receivables_kpis_{self.date_from}_{self.date_to}.xlsx"
        )

    def action_open_snapshots(self):
        """The stored snapshots behind the trend, as a pivot."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.action_otc_receivable_snapshot"
        )
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action

    # ------------------------------------------------------------ dashboard
    def _otc_by_bucket_and_customer(self, memo=None):
        """Open receivables at ``date_to``: totals per bucket, top overdue
        customers (``memo``: see :meth:`_otc_open_summary`)."""
        bounds = self.company_id._otc_aging_bounds()
        summary = self._otc_open_summary(self.date_to, memo, top=True)
        per_bucket = {
            bucket: amount for bucket, (amount, _c) in summary["buckets"].items()
        }
        top = summary["top"]
        buckets = aging_engine.buckets(bounds)
        aging = [
            {
                "index": i,
                "label": bucket.label,
                "amount": per_bucket.get(i, 0.0),
                "low": bucket.low,
                "high": bucket.high,
            }
            for i, bucket in enumerate(buckets)
        ]
        return aging, top

    def _otc_month_end_kpis(self, months=12, daily=None):
        """The headline KPIs of each of the last ``months`` months (ending at
        the month-end on or before ``date_to``), from the stored snapshots:
        the month's opening is the previous month-end's snapshot, its closing
        and not-yet-due part the month-end's, its credit sales the month's.
        ``[{"date", "dso", "dso_countback", "best_dso", "add", "cei",
        "overdue_share"}]``, oldest first; ``None`` where the month-end has
        no snapshot (or nothing to divide by)."""
        Snapshot = self.env["otc.receivable.snapshot"]
        # one more month-end: the opening of the first month
        ends = Snapshot._otc_month_ends(self.date_to, months + 1)
        stored = {}
        filtered = self._otc_partner_conditions()
        if not filtered:
            # the whole company: the month-end totals the monthly summary
            # keeps of its snapshots (otc.receivable.month)
            stored = self.env["otc.receivable.month"]._otc_closing(
                self.company_id, ends
            )
        missing = [end for end in ends if end not in stored]
        if missing:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT s.snapshot_date, SUM(s.amount),
                           COALESCE(SUM(s.amount) FILTER (WHERE s.bucket = 0), 0)
                      FROM otc_receivable_snapshot s
                      %s
                     WHERE s.company_id = %s AND s.snapshot_date = ANY(%s) AND %s
                  GROUP BY 1
                    """,
                    SQL("JOIN res_partner cp ON cp.id = s.partner_id")
                    if filtered
                    else SQL(""),
                    self.company_id.id,
                    missing,
                    self._otc_partner_filter(),
                )
            )
            stored.update({row[0]: row[1:] for row in self.env.cr.fetchall()})
        # newest first, with the count-back's year before the first month
        sales = self._otc_sales_by_month(
            ends[1].replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1),
            ends[-1],
            daily,
        )
        trend = []
        for i, end in enumerate(ends[1:], start=1):
            values = dict.fromkeys(
                ("dso", "dso_countback", "best_dso", "add", "cei", "overdue_share")
            )
            newest = len(ends) - 1 - i  # index of this month in ``sales``
            if end in stored:
                closing, current = stored[end]
                opening = stored.get(ends[i - 1], (None, None))[0]
                figures = kpi_engine.PeriodFigures(
                    date_from=end.replace(day=1),
                    date_to=end,
                    opening_ar=opening or 0.0,
                    closing_ar=closing,
                    closing_current_ar=current,
                    credit_sales=sales[newest][0],
                    months=tuple(sales[newest : newest + COUNTBACK_MONTHS]),
                )
                kpis = kpi_engine.period_kpis(figures)
                values = {name: getattr(kpis, name) for name in values}
                if opening is None:
                    values["cei"] = None  # no opening snapshot: CEI unknown
            trend.append({"date": fields.Date.to_string(end), **values})
        return trend

    def _otc_dso_trend(self, months=12):
        """Month-end DSO over the last ``months`` months, from the snapshots."""
        return [
            {"date": row["date"], "dso": row["dso"]}
            for row in self._otc_month_end_kpis(months)
        ]

    def _otc_worsening(self, limit=10):
        """Customers whose amount-weighted days late grew most: the last three
        months against the three before (invoice parts reconciled then)."""
        middle = self.date_to - relativedelta(months=3)
        self.env.cr.execute(
            SQL(
                """
                WITH paid AS (
                    -- in float8: six months of every customer's rows, summed
                    -- a third faster than in numeric (averages of days)
                    SELECT p.partner_id, p.day > %(middle)s AS recent,
                           p.amount::float8 AS amount, p.late::float8 AS late
                      FROM (%(parts)s) p
                ), per AS (
                    SELECT partner_id,
                           SUM(late) FILTER (WHERE recent)
                             / NULLIF(SUM(amount) FILTER (WHERE recent), 0) AS now_late,
                           SUM(late) FILTER (WHERE NOT recent)
                             / NULLIF(SUM(amount) FILTER (WHERE NOT recent), 0) AS before_late
                      FROM paid
                  GROUP BY 1
                )
                SELECT partner_id, before_late, now_late, now_late - before_late
                  FROM per
                 WHERE now_late - before_late > 0
              ORDER BY 4 DESC
                 LIMIT %(limit)s
                """,
                middle=middle,
                # the summarised months on one side of ``middle`` each
                parts=self._otc_paid_sql(
                    self.date_to - relativedelta(months=6) + timedelta(days=1),
                    self.date_to,
                    cuts=(middle,),
                ),
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    def _otc_collectors(self):
        """Per collector, over the period: collected on its customers, contacts
        logged, promises obtained and kept, disputes resolved."""
        self.env.cr.execute(
            SQL(
                """
                WITH collected AS (
                    SELECT (cp.otc_collector_id ->> %(company_key)s)::int AS user_id,
                           SUM(p.amount) AS amount
                      FROM (%(parts)s) p
                      JOIN res_partner cp ON cp.id = p.partner_id
                     WHERE cp.otc_collector_id ? %(company_key)s
                  GROUP BY 1
                ), contacts AS (
                    SELECT u.id AS user_id, COUNT(*) AS n
                      FROM mail_message msg
                      JOIN res_users u ON u.partner_id = msg.author_id
                     WHERE msg.model = 'res.partner' AND msg.message_type = 'comment'
                       AND msg.date::date BETWEEN %(date_from)s AND %(date_to)s
                  GROUP BY 1
                ), promises AS (
                    SELECT collector_id AS user_id, COUNT(*) AS obtained,
                           COUNT(*) FILTER (WHERE state = 'kept') AS kept
                      FROM otc_promise
                     WHERE company_id = %(company)s
                       AND create_date::date BETWEEN %(date_from)s AND %(date_to)s
                  GROUP BY 1
                ), disputes AS (
                    SELECT resolved_by_id AS user_id, COUNT(*) AS n
                      FROM otc_dispute
                     WHERE company_id = %(company)s AND state = 'resolved'
                       AND resolved_on::date BETWEEN %(date_from)s AND %(date_to)s
                  GROUP BY 1
                )
                SELECT u.id, COALESCE(c.amount, 0), COALESCE(k.n, 0),
                       COALESCE(pr.obtained, 0), COALESCE(pr.kept, 0), COALESCE(d.n, 0)
                  FROM res_users u
             LEFT JOIN collected c ON c.user_id = u.id
             LEFT JOIN contacts k ON k.user_id = u.id
             LEFT JOIN promises pr ON pr.user_id = u.id
             LEFT JOIN disputes d ON d.user_id = u.id
                 WHERE u.id = ANY(%(users)s)
                   AND (c.amount IS NOT NULL OR pr.obtained IS NOT NULL OR d.n IS NOT NULL
                        OR k.n IS NOT NULL)
              ORDER BY 2 DESC
                """,
                company_key=str(self.company_id.id),
                company=self.company_id.id,
                # every customer's: a collector's figures ignore the filters
                parts=self._otc_paid_sql(self.date_from, self.date_to, filtered=False),
                date_from=self.date_from,
                date_to=self.date_to,
                users=self.env.ref("otc_order_to_cash.group_otc_collector")
                .sudo()
                .users.ids,
            )
        )
        rows = self.env.cr.fetchall()
        names = dict(
            self.env["res.users"]
            .sudo()
            .browse([r[0] for r in rows])
            .mapped(lambda u: (u.id, u.name))
        )
        return [
            {
                "user_id": uid,
                "name": names.get(uid, ""),
                "collected": collected,
                "contacts": contacts,
                "promises": obtained,
                "promises_kept": kept,
                "disputes_resolved": resolved,
            }
            for uid, collected, contacts, obtained, kept, resolved in rows
        ]

    #: the dashboard's filters: field of this model -> model of its value
    DASHBOARD_FILTERS = {
        "salesperson_id": "res.users",
        "collector_id": "res.users",
        "partner_id": "res.partner",
        "category_id": "res.partner.category",
        "country_id": "res.country",
    }

    def _otc_partner_domain(self, path):
        """The filters as a domain on the commercial partner reached by
        ``path`` (``partner_id``, ``partner_id.commercial_partner_id``...):
        what the dashboard's drill-downs add so that they list the records
        behind the filtered figures."""
        self.ensure_one()
        domain = []
        if self.salesperson_id:
            domain.append((f"{path}.user_id", "=", self.salesperson_id.id))
        if self.country_id:
            domain.append((f"{path}.country_id", "=", self.country_id.id))
        if self.partner_id:
            domain.append((path, "=", self.partner_id.commercial_partner_id.id))
        if self.collector_id:
            domain.append((f"{path}.otc_collector_id", "=", self.collector_id.id))
        if self.category_id:
            domain.append((f"{path}.category_id", "in", self.category_id.ids))
        return domain

    @api.model
    def otc_dashboard_data(
        self, date_from=None, date_to=None, salesperson_id=None, filters=None
    ):
        """Everything the Receivables Dashboard shows, in one call.

        ``filters``: ``{field: id}`` for the fields of ``DASHBOARD_FILTERS``
        (salesperson, collector, customer, customer tag, country)."""
        today = fields.Date.context_today(self)
        filters = dict(filters or {})
        if salesperson_id:
            filters["salesperson_id"] = salesperson_id
        unknown = set(filters) - set(self.DASHBOARD_FILTERS)
        if unknown:
            raise UserError(
                self.env._(
                    "Unknown dashboard filter: %(names)s",
                    names=", ".join(sorted(unknown)),
                )
            )
        vals = {name: int(value) for name, value in filters.items() if value}
        vals["date_to"] = fields.Date.to_date(date_to) if date_to else today
        vals["date_from"] = (
            fields.Date.to_date(date_from)
            if date_from
            else self._otc_default_from(vals["date_to"])
        )
        report = self.create(vals)
        report._otc_without_jit()
        # one read of the credit sales per day for the period, the previous
        # one and the 12 month-ends of the sparklines
        daily = report._otc_daily_sales(report._otc_sales_window(), report.date_to)
        memo = {"top_at": report.date_to}
        report._otc_compute(daily, memo)
        aging, top = report._otc_by_bucket_and_customer(memo)
        worsening = report._otc_worsening()
        names = dict(
            self.env["res.partner"]
            .browse({row[0] for row in top} | {row[0] for row in worsening})
            .sudo()
            .mapped(lambda p: (p.id, p.display_name))
        )
        forecast = []
        if self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk") and not any(
            report[name] for name in self.DASHBOARD_FILTERS
        ):
            # company-wide figures: not for a salesperson limited to its
            # customers, nor under a filter (the forecast is not filtered);
            # the daily run's while its inputs are the same
            forecast = (
                self.env["otc.cash.forecast"]
                ._otc_this_week(report.company_id)
                ._otc_result()["weeks"]
            )
        cards = [
            ("dso", report.dso, report.previous_dso, "days"),
            ("dso_countback", report.dso_countback, None, "days"),
            ("best_dso", report.best_dso, None, "days"),
            ("add", report.add, None, "days"),
            ("cei", report.cei, report.previous_cei, "%"),
            ("overdue_share", report.overdue_share, None, "%"),
            ("days_late", report.days_late, None, "days"),
        ]
        undefined = set((report.undefined or "").split("; "))
        trend = report._otc_month_end_kpis(daily=daily)
        is_ar = self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk")
        return {
            "company_id": report.company_id.id,
            "currency": report.currency_id.name,
            "date_from": fields.Date.to_string(report.date_from),
            "date_to": fields.Date.to_string(report.date_to),
            "filters": {
                name: report[name].id or False for name in self.DASHBOARD_FILTERS
            },
            "partner_domain": report._otc_partner_domain(
                "partner_id.commercial_partner_id"
            ),
            "collector_ids": self.env.ref("otc_order_to_cash.group_otc_collector")
            .sudo()
            .users.ids,
            "cards": [
                {
                    "key": key,
                    "label": report._fields[key].string,
                    "value": None if report._fields[key].string in undefined else value,
                    "previous": previous,
                    "change": kpi_engine.change(
                        None if report._fields[key].string in undefined else value,
                        previous,
                    ),
                    "unit": unit,
                    # month-end values from the snapshots (none for days late:
                    # a pattern of payments, not of balances)
                    "sparkline": [row[key] for row in trend] if key in trend[0] else [],
                }
                for key, value, previous, unit in cards
            ],
            "closing_ar": report.closing_ar,
            "aging": aging,
            "dso_trend": [{"date": row["date"], "dso": row["dso"]} for row in trend],
            "forecast": [
                {"week": week, "expected": expected, "low": low, "high": high}
                for week, expected, low, high in forecast
            ],
            "top_overdue": [
                {
                    "partner_id": pid,
                    "name": names.get(pid, ""),
                    "overdue": overdue,
                    "total": total,
                }
                for pid, overdue, total in top
            ],
            "fx": [
                {
                    "currency": fx.currency,
                    "amount_currency": fx.amount_currency,
                    "booked": fx.booked,
                    "at_today": fx.at_today,
                    "unrealised": fx.unrealised,
                }
                for fx in report._otc_fx_exposure()
            ],
            "ratios": [
                {"key": key, "label": report._fields[key].string, "value": report[key]}
                for key in (
                    "dispute_rate",
                    "dispute_days",
                    "promises_kept",
                    "dunning_effect",
                    "cash_auto_rate",
                    "cash_days_to_apply",
                    "returns_rate",
                )
                if report._fields[key].string not in undefined
            ],
            "collectors": report._otc_collectors() if is_ar else [],
            "disputes_by_reason": report._otc_disputes_by_reason(),
            "dunning_levels": report._otc_dunning_by_level(
                report.date_from, report.date_to
            ),
            "worsening": [
                {
                    "partner_id": pid,
                    "name": names.get(pid, ""),
                    "before": b,
                    "now": n,
                    "delta": d,
                }
                for pid, b, n, d in worsening
            ],
        }
