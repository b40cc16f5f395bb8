from . import otc_dispute_reject_wizard
from . import otc_worklist_log_wizard
