from . import otc_credit_check_wizard
from . import otc_credit_reject_wizard
from . import otc_credit_hold_wizard
from . import otc_credit_control_export
from . import otc_cash_pick_wizard
from . import otc_remittance_import
from . import otc_return_refuse_wizard
from . import otc_picking_hold_release_wizard
