from . import otc_dispute_reject_wizard
from . import otc_worklist_log_wizard
from . import otc_dunning_run_wizard
from . import otc_dunning_run_wizard_line
from . import otc_statement_wizard
