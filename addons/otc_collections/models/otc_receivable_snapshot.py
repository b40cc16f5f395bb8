from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

from ..engine import aging as aging_engine

#: month-ends the first scheduled run fills in, so that trends exist at once
BACKFILL_MONTHS = 24


def receivable_account_ids(env):
    """Ids of the receivable accounts, for the queries below: given as a
    list, the planner sees how few items are on them (a subquery hides it
    and makes it scan every journal item)."""
    env.cr.execute(
        "SELECT id FROM account_account WHERE account_type = 'asset_receivable'"
    )
    return [row[0] for row in env.cr.fetchall()]


def open_receivables_sql(
    company_id, as_of, bounds, accounts, partner_filter=None, current=False
):
    """Receivables open at the end of ``as_of`` per customer and aging bucket.

    What was open on a past date is rebuilt from the journal items and their
    reconciliations: a posted receivable item dated on or before ``as_of``
    is open by its balance minus the partial reconciliations made by then
    (``max_date``, the later of the two items' dates, is when a
    reconciliation took effect). Since Odoo keeps ``amount_residual`` = the
    balance minus ALL its reconciliations, that is its residual today plus
    the reconciliations made after ``as_of``: the query reads the items open
    today (Odoo's index of unreconciled items) and the reconciliations after
    ``as_of`` (index on ``max_date``) instead of every item ever booked,
    and sums what each adds per customer and bucket (a customer's bucket
    whose items cancel out is left out). Rows: ``(partner_id, bucket, amount, current_amount)`` with ``bucket``
    the index of the aging bucket (``bisect_left`` on the bounds: the number
    of bounds below the age, as ``engine/aging.py`` does) and
    ``current_amount`` the part not yet due. ``accounts``:
    :func:`receivable_account_ids`; ``partner_filter`` (an ``SQL`` condition
    on the commercial partner ``cp``) narrows the customers.

    ``current`` (``as_of`` is today or later): the items open today are read
    from the open-item summary that ``otc_order_to_cash`` keeps per
    customer, account and due date (its rows and the changes not yet
    folded: a narrow table instead of the journal items' pages), less the
    open items dated after ``as_of``; the few open items without a due date
    (the summary files them under ``infinity``, the aging under their date)
    are read from the journal items of the customers that have some.
    """
    # a posted receivable item still open (Odoo's index of unreconciled items)
    open_item = SQL(
        """aml.company_id = %(company)s
           AND aml.account_id = ANY(%(accounts)s)
           AND aml.reconciled IS NOT TRUE
           AND aml.parent_state = 'posted'
           AND aml.amount_residual <> 0""",
        company=company_id,
        accounts=list(accounts),
    )
    if current:
        today_open = SQL(
            """
            SELECT s.partner_id, s.date_maturity AS due,
                   s.debit_residual - s.credit_residual AS amount
              FROM otc_open_item_summary s
             WHERE s.company_id = %(company)s AND s.account_id = ANY(%(accounts)s)
               AND s.date_maturity <> 'infinity'
            UNION ALL
            SELECT d.partner_id, d.date_maturity,
                   d.debit_residual - d.credit_residual
              FROM otc_open_item_delta d
             WHERE d.company_id = %(company)s AND d.account_id = ANY(%(accounts)s)
               AND d.date_maturity <> 'infinity'
            UNION ALL
            -- in the summary, not open yet at the end of as_of
            SELECT aml.partner_id, aml.date_maturity, -aml.amount_residual
              FROM account_move_line aml
             WHERE %(open_item)s AND aml.date > %(as_of)s
               AND aml.partner_id IS NOT NULL
               AND aml.date_maturity IS NOT NULL
            UNION ALL
            SELECT aml.partner_id, aml.date, aml.amount_residual
              FROM account_move_line aml
             WHERE aml.partner_id IN (
                       SELECT partner_id FROM otc_open_item_summary
                        WHERE company_id = %(company)s AND date_maturity = 'infinity'
                       UNION
                       SELECT partner_id FROM otc_open_item_delta
                        WHERE company_id = %(company)s AND date_maturity = 'infinity')
               AND %(open_item)s AND aml.date <= %(as_of)s
               AND aml.date_maturity IS NULL
            """,
            company=company_id,
            accounts=list(accounts),
            as_of=as_of,
            open_item=open_item,
        )
    else:
        today_open = SQL(
            """
            SELECT aml.partner_id, COALESCE(aml.date_maturity, aml.date) AS due,
                   aml.amount_residual AS amount
              FROM account_move_line aml
             WHERE %(open_item)s AND aml.date <= %(as_of)s
            """,
            as_of=as_of,
            open_item=open_item,
        )
    return SQL(
        """
        WITH parts AS (
            %(today_open)s
            UNION ALL
            SELECT aml.partner_id, COALESCE(aml.date_maturity, aml.date), apr.amount
              FROM account_partial_reconcile apr
              JOIN account_move_line aml ON aml.id = apr.debit_move_id
             WHERE apr.company_id = %(company)s AND apr.max_date > %(as_of)s
               AND aml.account_id = ANY(%(accounts)s)
               AND aml.parent_state = 'posted'
               AND aml.date <= %(as_of)s
            UNION ALL
            SELECT aml.partner_id, COALESCE(aml.date_maturity, aml.date), -apr.amount
              FROM account_partial_reconcile apr
              JOIN account_move_line aml ON aml.id = apr.credit_move_id
             WHERE apr.company_id = %(company)s AND apr.max_date > %(as_of)s
               AND aml.account_id = ANY(%(accounts)s)
               AND aml.parent_state = 'posted'
               AND aml.date <= %(as_of)s
        ), open_items AS (
            SELECT cp.id AS partner_id, %(as_of)s::date - i.due AS age, i.amount
              FROM parts i
              JOIN res_partner p ON p.id = i.partner_id
              JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE %(partner_filter)s
        )
        SELECT partner_id,
               -- the number of bounds below the age (bounds ascending)
               width_bucket(age - 1, %(bounds)s::int[]) AS bucket,
               SUM(amount) AS amount,
               COALESCE(SUM(amount) FILTER (WHERE age <= 0), 0.0) AS current_amount
          FROM open_items
      GROUP BY 1, 2
        HAVING SUM(amount) <> 0
        """,
        company=company_id,
        as_of=as_of,
        bounds=list(bounds),
        accounts=list(accounts),
        partner_filter=partner_filter or SQL("TRUE"),
        today_open=today_open,
    )


def paid_invoice_parts_sql(
    company_id, date_from, date_to, accounts, partner_filter=None, partial_ids=None
):
    """``FROM ... WHERE ...`` of the customer-invoice parts reconciled between
    ``date_from`` and ``date_to`` (inclusive), or of the reconciliations
    ``partial_ids`` (the dates then unused): one row per partial
    reconciliation ``apr`` of an invoice's receivable item ``aml`` (move
    ``m``, commercial partner ``cp``). Days to pay, days late, what a collector
    collected and the payment history of the predictions all read from it.
    ``accounts``: :func:`receivable_account_ids` (as a list, the planner
    starts from the period's reconciliations, not from every item)."""
    which = (
        SQL("apr.id = ANY(%s)", list(partial_ids))
        if partial_ids is not None
        else SQL(
            "apr.company_id = %s AND apr.max_date BETWEEN %s AND %s",
            company_id,
            date_from,
            date_to,
        )
    )
    return SQL(
        """
          FROM account_partial_reconcile apr
          JOIN account_move_line aml ON aml.id = apr.debit_move_id
          JOIN account_move m ON m.id = aml.move_id
          JOIN res_partner p ON p.id = aml.partner_id
          JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
         WHERE %(which)s
           AND m.move_type = 'out_invoice'
           AND aml.account_id = ANY(%(accounts)s)
           AND %(partners)s
        """,
        which=which,
        accounts=list(accounts),
        partners=partner_filter or SQL("TRUE"),
    )


def paid_part_columns_sql(sign=1):
    """The columns of one invoice part of :func:`paid_invoice_parts_sql`,
    times ``sign``: ``amount``, ``to_pay`` and ``late`` (the amount x days
    from the invoice date and from the due date to the reconciliation) and
    ``n`` (the parts counted)."""
    return SQL(
        """%(sign)s * apr.amount AS amount,
           %(sign)s * apr.amount * (apr.max_date - m.invoice_date) AS to_pay,
           %(sign)s * apr.amount * (apr.max_date
               - COALESCE(aml.date_maturity, m.invoice_date)) AS late,
           %(sign)s AS n""",
        sign=sign,
    )


class OtcReceivableSnapshot(models.Model):
    """Receivables per customer and aging bucket as they stood at a date.

    Taken daily by a scheduled action and back-filled for past month-ends
    from the journal items and their reconciliation dates, so that trends
    (aging over time, DSO) read stored rows instead of replaying the ledger.
    A snapshot is one set of rows per (company, date): taking it again
    replaces it, so re-runs never double it.
    """

    _name = "otc.receivable.snapshot"
    _description = "Receivables Snapshot"
    _order = "snapshot_date desc, company_id, partner_id, bucket"
    _rec_name = "partner_id"

    snapshot_date = fields.Date(required=True, index=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    bucket = fields.Integer(
        readonly=True, help="Index of the aging bucket, 0 = current."
    )
    bucket_label = fields.Char(string="Aging Bucket", readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    salesperson_id = fields.Many2one(
        "res.users", related="partner_id.user_id", string="Salesperson"
    )
    country_id = fields.Many2one(related="partner_id.country_id")

    _sql_constraints = [
        (
            "otc_snapshot_unique",
            "UNIQUE(company_id, snapshot_date, partner_id, bucket)",
            "A customer has one amount per bucket and date in a snapshot.",
        )
    ]

    @api.model
    def _otc_take(self, company, as_of):
        """(Re)take the snapshot of ``company`` at ``as_of``: one DELETE, one INSERT."""
        company.ensure_one()
        if as_of > fields.Date.context_today(self):
            raise UserError(self.env._("A snapshot cannot be taken for a future date."))
        bounds = company._otc_aging_bounds()
        labels = [b.label for b in aging_engine.buckets(bounds)]
        self.flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env.cr.execute(
            SQL(
                "DELETE FROM otc_receivable_snapshot WHERE company_id = %s AND snapshot_date = %s",
                company.id,
                as_of,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO otc_receivable_snapshot
                       (snapshot_date, company_id, partner_id, bucket, bucket_label,
                        amount, create_uid, create_date, write_uid, write_date)
                SELECT %(as_of)s, %(company)s, o.partner_id, o.bucket,
                       (%(labels)s::varchar[])[o.bucket + 1], o.amount,
                       %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM (%(open)s) o
                """,
                as_of=as_of,
                company=company.id,
                labels=labels,
                uid=self.env.uid,
                open=open_receivables_sql(
                    company.id,
                    as_of,
                    bounds,
                    receivable_account_ids(self.env),
                    current=as_of >= fields.Date.context_today(self),
                ),
            )
        )
        rows = self.env.cr.rowcount
        self.env["otc.receivable.month"]._otc_set_closing(company, as_of)
        self.invalidate_model()
        return rows

    @api.model
    def _otc_missing_month_ends(self, company, months=BACKFILL_MONTHS, today=None):
        """Past month-ends of the last ``months`` months without a snapshot."""
        today = today or fields.Date.context_today(self)
        return self._otc_without_snapshot(
            company,
            self._otc_month_ends(today.replace(day=1) - timedelta(days=1), months),
        )

    @api.model
    def _otc_without_snapshot(self, company, dates):
        """The ``dates`` (sorted) that have no snapshot of ``company``."""
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT snapshot_date FROM otc_receivable_snapshot"
                " WHERE company_id = %s AND snapshot_date = ANY(%s)",
                company.id,
                list(dates),
            )
        )
        have = {row[0] for row in self.env.cr.fetchall()}
        return sorted(d for d in dates if d not in have)

    @api.model
    def _otc_missing_default_dates(self, company, today=None):
        """The past dates the dashboard's default period reads (its opening and
        the previous period's, ``otc.receivable.kpi._otc_past_dates``) without
        a snapshot: a database where the daily job ran on those days has
        them; one where the suite is newer gets them from this job, so the
        default period never rebuilds them from the ledger on load."""
        today = today or fields.Date.context_today(self)
        Kpi = self.env["otc.receivable.kpi"]
        return self._otc_without_snapshot(
            company, Kpi._otc_past_dates(Kpi._otc_default_from(today), today)
        )

    @api.model
    def _otc_backfill(self, company, months=BACKFILL_MONTHS):
        """Take the missing month-end snapshots of the last ``months`` months,
        then summarise the months not summarised (``otc.receivable.month``)."""
        report = run_batches(
            self.env,
            self._otc_missing_month_ends(company, months),
            lambda dates: [self._otc_take(company, d) for d in dates],
            batch_size=1,
            label=f"Receivables backfill {company.name}",
        )
        self.env["otc.receivable.month"]._otc_build_missing(company)
        return report

    @api.model
    def _cron_snapshot(self):
        """Daily: today's snapshot of every company, then any missing month-end
        and past date of the dashboard's default period.

        One (company, date) per unit, committed and reported as progress, so
        an interrupted run resumes where it stopped and a re-run replaces
        rather than doubles.
        """
        today = fields.Date.context_today(self)
        units = []
        for company in self.env["res.company"].search([]):
            units.append((company.id, today))
            units += [
                (company.id, d)
                for d in sorted(
                    set(self._otc_missing_month_ends(company, today=today))
                    | set(self._otc_missing_default_dates(company, today))
                )
            ]
            # the monthly summary of the months that lack one (new, changed
            # since, or the open month as far as yesterday: see
            # otc.receivable.month)
            units.append((company.id, None))
        Company = self.env["res.company"]
        Month = self.env["otc.receivable.month"]

        def run(chunk):
            return [
                self._otc_take(Company.browse(cid), d)
                if d
                else Month._otc_build_missing(Company.browse(cid), today)
                for cid, d in chunk
            ]

        return run_batches(
            self.env, units, run, batch_size=1, label="Receivables snapshot"
        )

    @api.model
    def _otc_month_ends(self, date_to, months):
        """The ``months`` month-ends up to ``date_to`` (oldest first)."""
        ends = []
        cursor = date(date_to.year, date_to.month, 1) + relativedelta(months=1)
        for _i in range(months):
            cursor -= timedelta(days=1)
            ends.append(cursor)
            cursor = cursor.replace(day=1)
        return list(reversed(ends))
