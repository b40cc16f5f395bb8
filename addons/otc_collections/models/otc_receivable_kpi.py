from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import aging as aging_engine
from ..engine import kpi as kpi_engine
from .otc_receivable_snapshot import open_receivables_sql

#: months of sales the count-back DSO may count back over
COUNTBACK_MONTHS = 12


class OtcReceivableKpi(models.TransientModel):
    """Receivables KPIs of a company for a period, with the previous period.

    The figures are read with a handful of grouped queries (receivables open
    at the period's start and end, credit sales per month, reconciled
    payments) and the formulas are the engine's (``engine/kpi.py``, where
    each one is written out). Salespeople without AR rights see only their
    own customers' figures.
    """

    _name = "otc.receivable.kpi"
    _description = "Receivables KPIs"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) - relativedelta(months=3),
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    salesperson_id = fields.Many2one("res.users")
    country_id = fields.Many2one("res.country")

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
    previous_dso = fields.Float("DSO, Previous Period", digits=(16, 1), readonly=True)
    previous_cei = fields.Float("CEI, Previous Period", digits=(16, 1), readonly=True)
    undefined = fields.Char(
        readonly=True, help="KPIs without a value (no sales or nothing collectable)."
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for rec in self:
            if rec.date_from > rec.date_to:
                raise UserError(self.env._("The period starts after it ends."))

    # ------------------------------------------------------------------ SQL
    def _otc_partner_filter(self):
        """Condition on the commercial partner ``cp`` for the filters and rights."""
        self.ensure_one()
        conditions = []
        salesperson = self.salesperson_id
        if not self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk"):
            salesperson = self.env.user
        if salesperson:
            conditions.append(SQL("cp.user_id = %s", salesperson.id))
        if self.country_id:
            conditions.append(SQL("cp.country_id = %s", self.country_id.id))
        return SQL(" AND ").join(conditions) if conditions else SQL("TRUE")

    def _otc_open_totals(self, as_of):
        """(total, not yet due) receivables open at the end of ``as_of``."""
        bounds = self.company_id._otc_aging_bounds()
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(SUM(o.amount), 0), COALESCE(SUM(o.current_amount), 0)"
                " FROM (%s) o",
                open_receivables_sql(
                    self.company_id.id, as_of, bounds, self._otc_partner_filter()
                ),
            )
        )
        return self.env.cr.fetchone()

    def _otc_sales_by_month(self, date_from, date_to):
        """Credit sales (receivable side of posted customer invoices and credit
        notes, taxes included like the receivables) per month, newest first,
        as ``(sales, days)`` with ``days`` the days of that month inside the
        range."""
        self.env.cr.execute(
            SQL(
                """
                SELECT date_trunc('month', aml.date)::date AS month, SUM(aml.balance)
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND acc.account_type = 'asset_receivable'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND aml.date BETWEEN %(date_from)s AND %(date_to)s
                   AND %(partners)s
              GROUP BY 1
                """,
                company=self.company_id.id,
                date_from=date_from,
                date_to=date_to,
                partners=self._otc_partner_filter(),
            )
        )
        sales = dict(self.env.cr.fetchall())
        months = []
        cursor = date_to.replace(day=1)
        end = date_to
        while end >= date_from:
            start = max(cursor, date_from)
            months.append((sales.get(cursor, 0.0), (end - start).days + 1))
            end = cursor - timedelta(days=1)
            cursor = end.replace(day=1)
        return months

    def _otc_payment_sums(self, date_from, date_to):
        """Amount-weighted sums over the invoice parts reconciled in the period."""
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(SUM(apr.amount), 0),
                       COALESCE(SUM(apr.amount * (apr.max_date - m.invoice_date)), 0),
                       COALESCE(SUM(apr.amount * (apr.max_date
                                 - COALESCE(aml.date_maturity, m.invoice_date))), 0),
                       COUNT(*)
                  FROM account_partial_reconcile apr
                  JOIN account_move_line aml ON aml.id = apr.debit_move_id
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE apr.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND acc.account_type = 'asset_receivable'
                   AND apr.max_date BETWEEN %(date_from)s AND %(date_to)s
                   AND %(partners)s
                """,
                company=self.company_id.id,
                date_from=date_from,
                date_to=date_to,
                partners=self._otc_partner_filter(),
            )
        )
        return kpi_engine.pattern_from_sums(*self.env.cr.fetchone())

    def _otc_period(self, date_from, date_to):
        """The engine's :class:`PeriodKpis` and the figures behind them."""
        opening, _current = self._otc_open_totals(date_from - timedelta(days=1))
        closing, closing_current = self._otc_open_totals(date_to)
        months = self._otc_sales_by_month(
            date_from.replace(day=1) - relativedelta(months=COUNTBACK_MONTHS - 1),
            date_to,
        )
        in_period = self._otc_sales_by_month(date_from, date_to)
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

    # ------------------------------------------------------------ actions
    def action_compute(self):
        self.ensure_one()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        figures, kpis = self._otc_period(self.date_from, self.date_to)
        length = self.date_to - self.date_from
        prev_to = self.date_from - timedelta(days=1)
        _prev_figures, previous = self._otc_period(prev_to - length, prev_to)
        pattern = self._otc_payment_sums(self.date_from, self.date_to)
        values = {
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

    def action_open_snapshots(self):
        """The stored snapshots behind the trend, as a pivot."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.action_otc_receivable_snapshot"
        )
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action

    # ------------------------------------------------------------ dashboard
    def _otc_by_bucket_and_customer(self):
        """Open receivables at ``date_to``: totals per bucket, top overdue customers."""
        bounds = self.company_id._otc_aging_bounds()
        open_sql = open_receivables_sql(
            self.company_id.id, self.date_to, bounds, self._otc_partner_filter()
        )
        self.env.cr.execute(
            SQL("SELECT o.bucket, SUM(o.amount) FROM (%s) o GROUP BY 1", open_sql)
        )
        per_bucket = dict(self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                """
                SELECT o.partner_id, SUM(o.amount) FILTER (WHERE o.bucket > 0) AS overdue,
                       SUM(o.amount)
                  FROM (%s) o
              GROUP BY 1
                HAVING SUM(o.amount) FILTER (WHERE o.bucket > 0) > 0
              ORDER BY 2 DESC
                 LIMIT 10
                """,
                open_sql,
            )
        )
        top = self.env.cr.fetchall()
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

    def _otc_dso_trend(self, months=12):
        """Month-end DSO over the last ``months`` months, from the snapshots."""
        Snapshot = self.env["otc.receivable.snapshot"]
        ends = Snapshot._otc_month_ends(self.date_to, months)
        self.env.cr.execute(
            SQL(
                """
                SELECT s.snapshot_date, SUM(s.amount)
                  FROM otc_receivable_snapshot s
                  JOIN res_partner cp ON cp.id = s.partner_id
                 WHERE s.company_id = %s AND s.snapshot_date = ANY(%s) AND %s
              GROUP BY 1
                """,
                self.company_id.id,
                ends,
                self._otc_partner_filter(),
            )
        )
        closing = dict(self.env.cr.fetchall())
        sales = dict(
            zip(
                reversed(ends),
                (
                    s
                    for s, _d in self._otc_sales_by_month(
                        ends[0].replace(day=1), ends[-1]
                    )
                ),
                strict=False,
            )
        )
        trend = []
        for end in ends:
            dso = None
            if end in closing:
                dso = kpi_engine.dso_standard(
                    closing[end], sales.get(end, 0.0), end.day
                )
            trend.append({"date": fields.Date.to_string(end), "dso": dso})
        return trend

    def _otc_worsening(self, limit=10):
        """Customers whose amount-weighted days late grew most: the last three
        months against the three before (invoice parts reconciled then)."""
        self.env.cr.execute(
            SQL(
                """
                WITH paid AS (
                    SELECT cp.id AS partner_id,
                           apr.max_date > %(middle)s AS recent,
                           apr.amount,
                           apr.max_date - COALESCE(aml.date_maturity, m.invoice_date) AS late
                      FROM account_partial_reconcile apr
                      JOIN account_move_line aml ON aml.id = apr.debit_move_id
                      JOIN account_move m ON m.id = aml.move_id
                      JOIN account_account acc ON acc.id = aml.account_id
                      JOIN res_partner p ON p.id = aml.partner_id
                      JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                     WHERE apr.company_id = %(company)s
                       AND m.move_type = 'out_invoice'
                       AND acc.account_type = 'asset_receivable'
                       AND apr.max_date > %(start)s AND apr.max_date <= %(end)s
                       AND %(partners)s
                ), per AS (
                    SELECT partner_id,
                           SUM(amount * late) FILTER (WHERE recent)
                             / NULLIF(SUM(amount) FILTER (WHERE recent), 0) AS now_late,
                           SUM(amount * late) FILTER (WHERE NOT recent)
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
                middle=self.date_to - relativedelta(months=3),
                start=self.date_to - relativedelta(months=6),
                end=self.date_to,
                company=self.company_id.id,
                partners=self._otc_partner_filter(),
                limit=limit,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def otc_dashboard_data(self, date_from=None, date_to=None, salesperson_id=None):
        """Everything the Receivables Dashboard shows, in one call."""
        today = fields.Date.context_today(self)
        vals = {
            "date_to": fields.Date.to_date(date_to) if date_to else today,
            "salesperson_id": salesperson_id or False,
        }
        vals["date_from"] = (
            fields.Date.to_date(date_from)
            if date_from
            else vals["date_to"] - relativedelta(months=3)
        )
        report = self.create(vals)
        report.action_compute()
        aging, top = report._otc_by_bucket_and_customer()
        worsening = report._otc_worsening()
        names = dict(
            self.env["res.partner"]
            .browse({row[0] for row in top} | {row[0] for row in worsening})
            .sudo()
            .mapped(lambda p: (p.id, p.display_name))
        )
        forecast = self.env["otc.cash.forecast.line"]
        if self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk"):
            # company-wide figures: not for a salesperson limited to its customers
            forecast = self.env["otc.cash.forecast"].create(
                {"company_id": report.company_id.id}
            )
            forecast.action_compute()
            forecast = forecast.line_ids
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
        return {
            "company_id": report.company_id.id,
            "currency": report.currency_id.name,
            "date_from": fields.Date.to_string(report.date_from),
            "date_to": fields.Date.to_string(report.date_to),
            "cards": [
                {
                    "key": key,
                    "label": report._fields[key].string,
                    "value": None if report._fields[key].string in undefined else value,
                    "previous": previous,
                    "unit": unit,
                }
                for key, value, previous, unit in cards
            ],
            "closing_ar": report.closing_ar,
            "aging": aging,
            "dso_trend": report._otc_dso_trend(),
            "forecast": [
                {
                    "week": fields.Date.to_string(w.week_start),
                    "expected": w.expected,
                    "low": w.low,
                    "high": w.high,
                }
                for w in forecast
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
