import logging
from collections import namedtuple

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..engine import credit as credit_engine
from ..hooks import create_sql_objects

_logger = logging.getLogger(__name__)

_FUNCTION_COLUMNS = [
    ("key_id", "int"),
    ("company_id", "int"),
    ("commercial_partner_id", "int"),
    ("receivable", "float8"),
    ("unallocated", "float8"),
    ("draft_invoices", "float8"),
    ("unbilled_orders", "float8"),
    ("overdue_amount", "float8"),
    ("oldest_due_date", "date"),
    ("exposure", "float8"),
    ("credit_limit", "float8"),
    ("credit_policy", "varchar"),
    ("on_hold", "boolean"),
    ("hold_reason", "varchar"),
    ("max_overdue_days", "int"),
    ("review_date", "date"),
    ("risk_category_id", "int"),
    ("credit_check", "boolean"),
    ("rounding", "float8"),
]

_COLUMNS = [
    "commercial_partner_id",
    "receivable",
    "unallocated",
    "draft_invoices",
    "unbilled_orders",
    "overdue_amount",
    "oldest_due_date",
    "exposure",
    "credit_limit",
    "credit_policy",
    "on_hold",
    "hold_reason",
    "max_overdue_days",
    "review_date",
    "risk_category_id",
    "credit_check",
    "rounding",
]


class Exposure(namedtuple("Exposure", _COLUMNS)):
    __slots__ = ()

    def profile(self):
        return credit_engine.CreditProfile(
            policy=self.credit_policy,
            limit=max(self.credit_limit, 0.0),
            on_hold=self.on_hold,
            max_overdue_days=self.max_overdue_days,
        )


class OtcCreditExposure(models.AbstractModel):
    """Set-based credit exposure and credit terms of customers.

    One query gives, per (commercial partner, company) key: the open posted
    receivables, the unallocated payments and credits, the draft invoices, the
    confirmed orders not yet invoiced, the exposure the company's switches make
    of them, and the customer's credit terms with the company defaults
    resolved. The credit check, the partner form, the sale order and the Credit
    Control view all read this one query, so they always agree.

    Each key's figures come from LATERAL subqueries that only touch that
    customer's open items through partial indexes, so checking one customer
    costs the same whatever the size of the book, and the whole book is one
    pass over the customers.
    """

    _name = "otc.credit.exposure"
    _description = "Credit Exposure Computation"

    def init(self):
        # install and every upgrade, before the data files: see hooks.py
        create_sql_objects(self.env)

    @api.model
    def _create_exposure_function(self):
        """``otc_credit_exposure(partner ids, company id, today)``: the query for a few keys.

        Planning the query costs more than running it for one customer; as a
        PL/pgSQL function with a forced generic plan it is planned once per
        database session, and the credit check pays only the execution.
        """
        keys = SQL(
            "SELECT p.id AS key_id, p.commercial_partner_id AS partner_id,"
            " p_company_id AS company_id FROM res_partner p"
            " WHERE p.id = ANY(p_partner_ids)"
        )
        query = self._exposure_query(keys, SQL("p_today"))
        out = SQL(", ").join(
            SQL("%s %s", SQL.identifier(f"o_{name}"), SQL(sqltype))
            for name, sqltype in _FUNCTION_COLUMNS
        )
        cast = SQL(", ").join(
            SQL("q.%s::%s", SQL.identifier(name), SQL(sqltype))
            for name, sqltype in _FUNCTION_COLUMNS
        )
        self.env.cr.execute(
            SQL(
                """
                DROP FUNCTION IF EXISTS otc_credit_exposure(int[], int, date);
                CREATE FUNCTION otc_credit_exposure(
                    p_partner_ids int[], p_company_id int, p_today date
                ) RETURNS TABLE (%s)
                LANGUAGE plpgsql STABLE
                SET plan_cache_mode = force_generic_plan
                AS $fn$
                #variable_conflict use_column
                BEGIN
                    RETURN QUERY SELECT %s FROM (%s) q;
                END
                $fn$;
                """,
                out,
                cast,
                query,
            )
        )

    # ------------------------------------------------------------------
    # Open-item summary: fold, verify, rebuild
    # ------------------------------------------------------------------

    @api.model
    def _rebuild_open_item_summary(self):
        """Fill the summary from the journal items (install, or a full repair)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            LOCK TABLE otc_open_item_summary, otc_open_item_delta IN EXCLUSIVE MODE;
            DELETE FROM otc_open_item_delta;
            DELETE FROM otc_open_item_summary;
            INSERT INTO otc_open_item_summary
                   (partner_id, company_id, account_id, date_maturity,
                    debit_residual, credit_residual, item_count)
            SELECT partner_id, company_id, account_id, date_maturity,
                   debit_residual, credit_residual, item_count
              FROM (%s) e
                """,
                self._expected_open_items(),
            )
        )

    @api.model
    def _expected_open_items(self):
        """SQL: the summary rows the journal items call for."""
        return SQL(
            """
            SELECT aml.partner_id, aml.company_id, aml.account_id,
                   COALESCE(aml.date_maturity, 'infinity') AS date_maturity,
                   SUM(GREATEST(aml.amount_residual, 0)) AS debit_residual,
                   -SUM(LEAST(aml.amount_residual, 0)) AS credit_residual,
                   COUNT(*) AS item_count
              FROM account_move_line aml
             WHERE aml.partner_id IS NOT NULL AND aml.parent_state = 'posted'
               AND aml.amount_residual <> 0
               AND aml.account_id IN (SELECT a.id FROM account_account a
                                       WHERE a.account_type = 'asset_receivable')
             GROUP BY aml.partner_id, aml.company_id, aml.account_id,
                      COALESCE(aml.date_maturity, 'infinity')
            """
        )

    @api.model
    def _fold_open_item_deltas(self):
        """Move the appended changes into the summary (scheduled job).

        Only this job and a rebuild write the summary, under a lock that lets
        readers and the trigger's inserts go on: deltas committed meanwhile
        are not in this transaction's snapshot, stay, and are folded next time.
        """
        self.env.flush_all()  # the trigger appends on the journal items' write
        cr = self.env.cr
        cr.execute(
            """
            LOCK TABLE otc_open_item_summary IN SHARE ROW EXCLUSIVE MODE;
            WITH moved AS (
                DELETE FROM otc_open_item_delta RETURNING *
            )
            INSERT INTO otc_open_item_summary AS s
                   (partner_id, company_id, account_id, date_maturity,
                    debit_residual, credit_residual, item_count)
            SELECT partner_id, company_id, account_id, date_maturity,
                   SUM(debit_residual), SUM(credit_residual), SUM(item_count)
              FROM moved
             GROUP BY partner_id, company_id, account_id, date_maturity
            ON CONFLICT (partner_id, company_id, account_id, date_maturity) DO UPDATE
               SET debit_residual = s.debit_residual + EXCLUDED.debit_residual,
                   credit_residual = s.credit_residual + EXCLUDED.credit_residual,
                   item_count = s.item_count + EXCLUDED.item_count
            """
        )
        folded = cr.rowcount
        # due dates with nothing open any more
        cr.execute("DELETE FROM otc_open_item_summary WHERE item_count = 0")
        return folded

    @api.model
    def _open_item_differences(self):
        """Rows where summary and changes do not add up to the journal items.

        :return: [(partner id, company id, account id, due date, debit
            missing, credit missing, items missing)], what must be added to
            the summary for it to be exact
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT partner_id, company_id, account_id, date_maturity,
                   SUM(debit_residual), SUM(credit_residual), SUM(item_count)::int
              FROM (
                    SELECT * FROM (%s) e
                    UNION ALL
                    SELECT partner_id, company_id, account_id, date_maturity,
                           -debit_residual, -credit_residual, -item_count
                      FROM otc_open_item_summary
                    UNION ALL
                    SELECT partner_id, company_id, account_id, date_maturity,
                           -debit_residual, -credit_residual, -item_count
                      FROM otc_open_item_delta
                   ) d
             GROUP BY partner_id, company_id, account_id, date_maturity
            HAVING SUM(debit_residual) <> 0 OR SUM(credit_residual) <> 0
                OR SUM(item_count) <> 0
             ORDER BY partner_id, company_id, account_id, date_maturity
                """,
                self._expected_open_items(),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _check_open_item_summary(self, repair=True):
        """Compare the summary with the journal items; repair and log differences.

        A repair appends the missing amounts as changes (folded like any
        other), so it never locks out the users posting meanwhile.
        :return: the differences found
        """
        differences = self._open_item_differences()
        if differences:
            _logger.warning(
                "Open-item summary: %d rows differ from the journal items%s: %s",
                len(differences),
                " (repaired)" if repair else "",
                differences[:20],
            )
        if differences and repair:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO otc_open_item_delta
                    SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[],
                                         %s::numeric[], %s::numeric[], %s::int[])
                    """,
                    *[list(column) for column in zip(*differences)],
                )
            )
            self._fold_open_item_deltas()
        return differences

    @api.model
    def _cron_check_open_item_summary(self):
        """Scheduled: fold the changes, then verify the summary and repair it."""
        self._fold_open_item_deltas()
        self._check_open_item_summary(repair=True)

    @api.model
    def action_check_open_item_summary(self):
        """Menu *Verify Open-Item Summary* (AR managers): verify and repair now."""
        if not self.env.user.has_group("otc_order_to_cash.group_otc_ar_manager"):
            raise AccessError(
                self.env._("Only AR Managers may verify the open-item summary.")
            )
        differences = self._check_open_item_summary(repair=True)
        if differences:
            message = self.env._(
                "%(count)s summary rows differed from the journal items and were"
                " repaired (see the server log).",
                count=len(differences),
            )
        else:
            message = self.env._("The open-item summary matches the journal items.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Open-Item Summary"),
                "message": message,
                "type": "warning" if differences else "success",
                "sticky": bool(differences),
            },
        }

    @api.model
    def _exposure_query(self, keys, today=None):
        """SQL for the exposure of the (partner_id, company_id) pairs of ``keys``.

        :param SQL keys: a query selecting ``key_id`` (the partner asked
            for), ``partner_id`` (its commercial partner) and ``company_id``
        :param today: the date overdue is measured against (None: the
            database's current date, for the view)
        """
        if today is None:
            today = SQL("CURRENT_DATE")
        elif not isinstance(today, SQL):
            today = SQL("%s::date", today)

        def company_dependent(column, cast):
            return SQL(
                "(p.%s ->> k.company_id::text)::%s", SQL.identifier(column), SQL(cast)
            )

        return SQL(
            """
            SELECT k.key_id,
                   k.company_id,
                   k.partner_id AS commercial_partner_id,
                   r.receivable,
                   r.unallocated,
                   d.amount AS draft_invoices,
                   o.amount AS unbilled_orders,
                   r.overdue AS overdue_amount,
                   r.oldest_due AS oldest_due_date,
                   CASE WHEN c.otc_exposure_receivable THEN r.receivable ELSE 0 END
                   + CASE WHEN c.otc_exposure_draft_invoices THEN d.amount ELSE 0 END
                   + CASE WHEN c.otc_exposure_unbilled_orders THEN o.amount ELSE 0 END
                   - CASE WHEN c.otc_exposure_unallocated THEN r.unallocated ELSE 0 END
                   AS exposure,
                   COALESCE(%(limit)s, (
                       SELECT dflt.json_value::float
                         FROM ir_default dflt
                         JOIN ir_model_fields f ON f.id = dflt.field_id
                        WHERE f.model = 'res.partner' AND f.name = 'credit_limit'
                          AND dflt.user_id IS NULL AND dflt.condition IS NULL
                          AND (dflt.company_id = k.company_id OR dflt.company_id IS NULL)
                        ORDER BY dflt.company_id NULLS LAST
                        LIMIT 1), 0) AS credit_limit,
                   COALESCE(%(policy)s, c.otc_default_credit_policy, 'warn') AS credit_policy,
                   COALESCE(%(hold)s, FALSE) AS on_hold,
                   %(hold_reason)s AS hold_reason,
                   CASE WHEN c.otc_check_overdue
                        THEN COALESCE(NULLIF(%(max_days)s, 0), c.otc_default_max_overdue_days)
                   END AS max_overdue_days,
                   %(review)s AS review_date,
                   %(risk)s AS risk_category_id,
                   c.otc_credit_check AS credit_check,
                   cur.rounding
              FROM (%(keys)s) k
              JOIN res_company c ON c.id = k.company_id
              JOIN res_currency cur ON cur.id = c.currency_id
              JOIN res_partner p ON p.id = k.partner_id
             CROSS JOIN LATERAL (
                    -- the folded summary plus the changes appended since
                    SELECT COALESCE(SUM(s.debit), 0) AS receivable,
                           COALESCE(SUM(s.credit), 0) AS unallocated,
                           COALESCE(SUM(s.debit) FILTER (
                               WHERE s.date_maturity < %(today)s), 0) AS overdue,
                           MIN(s.date_maturity) FILTER (
                               WHERE s.debit > 0 AND s.date_maturity < %(today)s) AS oldest_due
                      FROM (
                        SELECT u.date_maturity, SUM(u.debit_residual) AS debit,
                               SUM(u.credit_residual) AS credit
                          FROM (
                            SELECT date_maturity, debit_residual, credit_residual
                              FROM otc_open_item_summary
                             WHERE partner_id IN (SELECT m.id FROM res_partner m
                                                   WHERE m.commercial_partner_id = k.partner_id)
                               AND company_id = k.company_id
                               AND account_id = ANY(%(receivable_accounts)s)
                            UNION ALL
                            SELECT date_maturity, debit_residual, credit_residual
                              FROM otc_open_item_delta
                             WHERE partner_id IN (SELECT m.id FROM res_partner m
                                                   WHERE m.commercial_partner_id = k.partner_id)
                               AND company_id = k.company_id
                               AND account_id = ANY(%(receivable_accounts)s)
                          ) u
                         GROUP BY u.date_maturity
                      ) s
                   ) r
             CROSS JOIN LATERAL (
                    SELECT COALESCE(SUM(mv.amount_total_signed), 0) AS amount
                      FROM account_move mv
                     WHERE mv.commercial_partner_id = k.partner_id
                       AND mv.company_id = k.company_id
                       AND mv.state = 'draft'
                       AND mv.move_type IN ('out_invoice', 'out_refund')
                   ) d
             CROSS JOIN LATERAL (
                    -- What is left to invoice, taxes included: the larger of
                    -- ordered and delivered quantities less the invoiced ones
                    -- (quantities on draft invoices are counted with the
                    -- drafts), in company currency at the order's own rate.
                    SELECT COALESCE(SUM(oa.amount), 0) AS amount
                      FROM (
                        SELECT GREATEST(
                                   COALESCE(SUM(
                                       GREATEST(GREATEST(sol.product_uom_qty, sol.qty_delivered)
                                                - sol.qty_invoiced, 0)
                                       * CASE WHEN sol.product_uom_qty <> 0
                                              THEN sol.price_total / sol.product_uom_qty
                                              ELSE sol.price_unit * (1 - COALESCE(sol.discount, 0) / 100.0)
                                         END
                                   ) FILTER (WHERE sol.is_downpayment IS NOT TRUE), 0)
                                   - COALESCE(SUM(sol.qty_invoiced * sol.price_unit)
                                              FILTER (WHERE sol.is_downpayment), 0),
                                   0
                               ) / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount
                          FROM sale_order so
                          JOIN sale_order_line sol ON sol.order_id = so.id AND sol.display_type IS NULL
                         WHERE so.partner_id IN (SELECT m.id FROM res_partner m
                                                  WHERE m.commercial_partner_id = k.partner_id)
                           AND so.company_id = k.company_id
                           AND so.state = 'sale'
                         GROUP BY so.id
                      ) oa
                   ) o
            """,
            keys=keys,
            today=today,
            receivable_accounts=SQL(
                "ARRAY(SELECT a.id FROM account_account a"
                " WHERE a.account_type = 'asset_receivable')"
            ),
            limit=company_dependent("credit_limit", "float"),
            policy=company_dependent("otc_credit_policy", "varchar"),
            hold=company_dependent("otc_credit_hold", "boolean"),
            hold_reason=company_dependent("otc_credit_hold_reason", "varchar"),
            max_days=company_dependent("otc_max_overdue_days", "int"),
            review=company_dependent("otc_credit_review_date", "date"),
            risk=company_dependent("otc_risk_category_id", "int"),
        )

    @api.model
    def _get_exposure(self, partners, company, today=None):
        """Exposure and credit terms of ``partners``' commercial entities in ``company``.

        :return: {partner id: Exposure} for each saved partner of ``partners``
            (a contact gets its commercial entity's), amounts in company currency
        """
        partner_ids = [pid for pid in partners._origin._ids if pid]
        if not partner_ids:
            return {}
        # Figures come straight from the tables: pending ORM writes must be there.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT * FROM otc_credit_exposure(%s::int[], %s, %s::date)",
                partner_ids,
                company.id,
                today or fields.Date.context_today(self),
            )
        )
        return {row[0]: Exposure(*row[2:]) for row in self.env.cr.fetchall()}
