from . import models
from . import wizards


def post_init_hook(env):
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
    # The open-item summary lives outside the ORM: leave nothing behind that
    # would fire on every journal item once the addon is gone.
    env.cr.execute(
        """
        DROP TRIGGER IF EXISTS otc_open_item_summary ON account_move_line;
        DROP FUNCTION IF EXISTS otc_credit_exposure(int[], int, date);
        DROP FUNCTION IF EXISTS otc_open_item_summary_trigger();
        DROP FUNCTION IF EXISTS otc_open_item_summary_apply(
            integer, integer, integer, date, numeric, integer);
        DROP TABLE IF EXISTS otc_open_item_summary;
        """
    )
