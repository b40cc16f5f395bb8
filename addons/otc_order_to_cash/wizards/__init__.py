from . import otc_credit_check_wizard
from . import otc_credit_reject_wizard
from . import otc_credit_hold_wizard
from . import otc_credit_control_export
