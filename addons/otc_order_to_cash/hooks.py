"""Install, upgrade and uninstall of what lives outside the ORM.

The open-item summary (two tables, a trigger on ``account_move_line``, its
functions, the indexes the exposure query uses) and the exposure function
``otc_credit_exposure()`` are plain PostgreSQL objects: they are created and
dropped here, and nowhere else.

:func:`create_sql_objects` is idempotent. It runs from
``otc.credit.exposure.init()``, which Odoo calls on install *and* on every
``-u`` before the addon's data files load (a ``post_init_hook`` would come too
late for the demo data, which already checks credit, and would not run on an
upgrade, where the exposure function must follow the code).
"""

from odoo.tools import SQL

SUMMARY_COLUMNS = """
    partner_id integer NOT NULL,
    company_id integer NOT NULL,
    account_id integer NOT NULL,
    date_maturity date NOT NULL,
    debit_residual numeric NOT NULL DEFAULT 0,
    credit_residual numeric NOT NULL DEFAULT 0,
    item_count integer NOT NULL DEFAULT 0
"""


def create_sql_objects(env):
    """Create (or replace) the open-item summary, its trigger and functions.

    ``otc_open_item_summary`` holds, per customer, company, receivable account
    and due date, the sums of the positive and of the negative residuals of
    the posted items still open. Writers never touch it: the row trigger on
    ``account_move_line`` only *appends* the change of each receivable item
    to ``otc_open_item_delta`` (no row is updated, so two transactions paying
    invoices of one customer never wait on each other nor fail with a
    serialization error), and a scheduled job folds the deltas into the
    summary. Readers add both. A customer's exposure reads a few hundred rows
    (its distinct due dates, plus the changes since the last fold) whatever
    the number of its open items.
    """
    cr = env.cr
    # new, or the summary of an earlier version (every reconcilable account,
    # updated in place): filled again from the journal items
    cr.execute("SELECT to_regclass('otc_open_item_delta') IS NULL")
    created = cr.fetchone()[0]
    cr.execute(
        SQL(
            """
            CREATE TABLE IF NOT EXISTS otc_open_item_summary (
                %(columns)s,
                PRIMARY KEY (partner_id, company_id, account_id, date_maturity)
            );
            CREATE INDEX IF NOT EXISTS otc_open_item_summary_empty_idx
                ON otc_open_item_summary (partner_id) WHERE item_count = 0;
            CREATE TABLE IF NOT EXISTS otc_open_item_delta (%(columns)s);
            CREATE INDEX IF NOT EXISTS otc_open_item_delta_partner_idx
                ON otc_open_item_delta (partner_id, company_id);

            -- the summary of earlier versions, updated in place by the trigger
            DROP FUNCTION IF EXISTS otc_open_item_summary_apply(
                integer, integer, integer, date, numeric, integer);

            CREATE OR REPLACE FUNCTION otc_open_item_summary_trigger() RETURNS trigger AS $$
            DECLARE
                old_open boolean := FALSE;
                new_open boolean := FALSE;
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
                    old_open := EXISTS (SELECT 1 FROM account_account a
                                         WHERE a.id = OLD.account_id
                                           AND a.account_type = 'asset_receivable');
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.partner_id IS NOT NULL
                   AND NEW.parent_state = 'posted' AND NEW.amount_residual <> 0 THEN
                    new_open := EXISTS (SELECT 1 FROM account_account a
                                         WHERE a.id = NEW.account_id
                                           AND a.account_type = 'asset_receivable');
                END IF;
                IF old_open AND new_open
                   AND NEW.partner_id = OLD.partner_id AND NEW.company_id = OLD.company_id
                   AND NEW.account_id = OLD.account_id
                   AND NEW.date_maturity IS NOT DISTINCT FROM OLD.date_maturity THEN
                    -- a partial payment: one row with the difference
                    INSERT INTO otc_open_item_delta VALUES (
                        NEW.partner_id, NEW.company_id, NEW.account_id,
                        COALESCE(NEW.date_maturity, 'infinity'),
                        GREATEST(NEW.amount_residual, 0) - GREATEST(OLD.amount_residual, 0),
                        LEAST(OLD.amount_residual, 0) - LEAST(NEW.amount_residual, 0),
                        0);
                    RETURN NULL;
                END IF;
                IF old_open THEN
                    INSERT INTO otc_open_item_delta VALUES (
                        OLD.partner_id, OLD.company_id, OLD.account_id,
                        COALESCE(OLD.date_maturity, 'infinity'),
                        -GREATEST(OLD.amount_residual, 0), LEAST(OLD.amount_residual, 0), -1);
                END IF;
                IF new_open THEN
                    INSERT INTO otc_open_item_delta VALUES (
                        NEW.partner_id, NEW.company_id, NEW.account_id,
                        COALESCE(NEW.date_maturity, 'infinity'),
                        GREATEST(NEW.amount_residual, 0), -LEAST(NEW.amount_residual, 0), 1);
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
            """,
            columns=SQL(SUMMARY_COLUMNS),
        )
    )
    Exposure = env["otc.credit.exposure"]
    Exposure._create_exposure_function()
    if created:
        Exposure._rebuild_open_item_summary()


def drop_sql_objects(env):
    """Drop everything :func:`create_sql_objects` made.

    The Credit Control view reads the summary: it goes first (Odoo would drop
    it with its model, but only after this hook, and the tables cannot be
    dropped while it exists).
    """
    env.cr.execute(
        """
        DROP VIEW IF EXISTS otc_credit_control CASCADE;
        DROP TRIGGER IF EXISTS otc_open_item_summary ON account_move_line;
        DROP FUNCTION IF EXISTS otc_credit_exposure(int[], int, date);
        DROP FUNCTION IF EXISTS otc_open_item_summary_trigger();
        DROP FUNCTION IF EXISTS otc_open_item_summary_apply(
            integer, integer, integer, date, numeric, integer);
        DROP TABLE IF EXISTS otc_open_item_summary;
        DROP TABLE IF EXISTS otc_open_item_delta;
        DROP INDEX IF EXISTS otc_account_move_draft_partner_idx;
        DROP INDEX IF EXISTS otc_sale_order_confirmed_partner_idx;
        """
    )


def post_init_hook(env):
    # bank fees are written off from the first import on, not only once
    # someone finds the setting (companies created later get theirs with
    # their chart)
    env["res.company"].search([])._otc_ensure_cash_writeoff_account()
    # receipts already waiting in the books are matched by the next
    # scheduled run, like newly imported ones
    env.cr.execute(
        """
        UPDATE account_bank_statement_line line
           SET otc_match_state = 'todo'
          FROM account_journal journal
         WHERE journal.id = line.journal_id
           AND line.amount > 0
           AND line.otc_match_state IS NULL
           AND EXISTS (
               SELECT 1 FROM account_move_line aml
                WHERE aml.move_id = line.move_id
                  AND aml.account_id = journal.suspense_account_id)
        """
    )


def uninstall_hook(env):
    # Leave nothing behind that would fire on every journal item once the
    # addon is gone.
    drop_sql_objects(env)
