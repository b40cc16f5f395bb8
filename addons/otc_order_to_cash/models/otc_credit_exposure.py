from collections import namedtuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import credit as credit_engine

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

    @api.model
    def _setup_sql(self):
        """Create the open-item summary, its trigger and the indexes the query uses.

        ``otc_open_item_summary`` holds, per partner, company, account and due
        date, the sum of the positive and of the negative residuals of the
        posted journal items still open. A row trigger on
        ``account_move_line`` keeps it exact whatever writes the items (the
        ORM, a reconciliation, a bulk import), in the writing transaction.
        A customer's exposure then reads a few hundred summary rows (its
        distinct due dates) instead of every open item: the credit check costs
        the same for a customer with 10,000 open invoices as for one with ten.
        """
        cr = self.env.cr
        cr.execute("SELECT to_regclass('otc_open_item_summary') IS NULL")
        created = cr.fetchone()[0]
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS otc_open_item_summary (
                partner_id integer NOT NULL,
                company_id integer NOT NULL,
                account_id integer NOT NULL,
                date_maturity date NOT NULL,
                debit_residual numeric NOT NULL DEFAULT 0,
                credit_residual numeric NOT NULL DEFAULT 0,
                item_count integer NOT NULL DEFAULT 0,
                PRIMARY KEY (partner_id, company_id, account_id, date_maturity)
            );

            CREATE OR REPLACE FUNCTION otc_open_item_summary_apply(
                p_partner integer, p_company integer, p_account integer,
                p_date date, p_residual numeric, p_sign integer
            ) RETURNS void AS $$
                INSERT INTO otc_open_item_summary AS s
                       (partner_id, company_id, account_id, date_maturity,
                        debit_residual, credit_residual, item_count)
                VALUES (p_partner, p_company, p_account, COALESCE(p_date, 'infinity'),
                        p_sign * GREATEST(p_residual, 0), p_sign * -LEAST(p_residual, 0), p_sign)
                ON CONFLICT (partner_id, company_id, account_id, date_maturity) DO UPDATE
                   SET debit_residual = s.debit_residual + EXCLUDED.debit_residual,
                       credit_residual = s.credit_residual + EXCLUDED.credit_residual,
                       item_count = s.item_count + EXCLUDED.item_count;
            $$ LANGUAGE sql;

            CREATE OR REPLACE FUNCTION otc_open_item_summary_trigger() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND NEW.partner_id IS NOT DISTINCT FROM OLD.partner_id
                   AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id
                   AND NEW.account_id IS NOT DISTINCT FROM OLD.account_id
                   AND NEW.date_maturity IS NOT DISTINCT FROM OLD.date_maturity
                   AND NEW.amount_residual IS NOT DISTINCT FROM OLD.amount_residual
                   AND NEW.parent_state IS NOT DISTINCT FROM OLD.parent_state THEN
                    RETURN NULL;
                END IF;
                IF TG_OP <> 'INSERT' AND OLD.partner_id IS NOT NULL
                   AND OLD.parent_state = 'posted' AND OLD.amount_residual <> 0 THEN
                    PERFORM otc_open_item_summary_apply(
                        OLD.partner_id, OLD.company_id, OLD.account_id,
                        OLD.date_maturity, OLD.amount_residual, -1);
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.partner_id IS NOT NULL
                   AND NEW.parent_state = 'posted' AND NEW.amount_residual <> 0 THEN
                    PERFORM otc_open_item_summary_apply(
                        NEW.partner_id, NEW.company_id, NEW.account_id,
                        NEW.date_maturity, NEW.amount_residual, 1);
                END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS otc_open_item_summary ON account_move_line;
            CREATE TRIGGER otc_open_item_summary
                AFTER INSERT OR DELETE
                   OR UPDATE OF partner_id, company_id, account_id, date_maturity,
                                amount_residual, parent_state
                ON account_move_line
                FOR EACH ROW EXECUTE FUNCTION otc_open_item_summary_trigger();

            CREATE INDEX IF NOT EXISTS otc_account_move_draft_partner_idx
                ON account_move (commercial_partner_id, company_id)
             WHERE state = 'draft';
            CREATE INDEX IF NOT EXISTS otc_sale_order_confirmed_partner_idx
                ON sale_order (partner_id, company_id)
             WHERE state = 'sale';
            """
        )
        self._create_exposure_function()
        if created:
            self._rebuild_open_item_summary()

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

    @api.model
    def _rebuild_open_item_summary(self):
        """Fill the summary from the journal items (install, or repair)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            LOCK TABLE otc_open_item_summary IN EXCLUSIVE MODE;
            DELETE FROM otc_open_item_summary;
            INSERT INTO otc_open_item_summary
                   (partner_id, company_id, account_id, date_maturity,
                    debit_residual, credit_residual, item_count)
            SELECT partner_id, company_id, account_id, COALESCE(date_maturity, 'infinity'),
                   SUM(GREATEST(amount_residual, 0)), -SUM(LEAST(amount_residual, 0)), COUNT(*)
              FROM account_move_line
             WHERE partner_id IS NOT NULL AND parent_state = 'posted' AND amount_residual <> 0
             GROUP BY partner_id, company_id, account_id, COALESCE(date_maturity, 'infinity')
            """
        )

    @api.model
    def _vacuum_open_item_summary(self):
        """Drop the summary rows of due dates that have no open item left."""
        self.env.cr.execute("DELETE FROM otc_open_item_summary WHERE item_count = 0")

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
                   COALESCE(%(policy)s, c.otc_default_credit_policy) AS credit_policy,
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
                    SELECT COALESCE(SUM(s.debit_residual), 0) AS receivable,
                           COALESCE(SUM(s.credit_residual), 0) AS unallocated,
                           COALESCE(SUM(s.debit_residual) FILTER (
                               WHERE s.date_maturity < %(today)s), 0) AS overdue,
                           MIN(s.date_maturity) FILTER (
                               WHERE s.debit_residual > 0 AND s.date_maturity < %(today)s) AS oldest_due
                      FROM otc_open_item_summary s
                     WHERE s.partner_id IN (SELECT m.id FROM res_partner m
                                             WHERE m.commercial_partner_id = k.partner_id)
                       AND s.company_id = k.company_id
                       AND s.account_id = ANY(ARRAY(SELECT a.id FROM account_account a
                                                     WHERE a.account_type = 'asset_receivable'))
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
