from . import models
from . import wizards


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
