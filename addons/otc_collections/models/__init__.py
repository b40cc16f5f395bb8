from . import res_company
from . import res_config_settings
from . import otc_dispute_reason
from . import otc_dispute
from . import otc_promise
from . import account_move
from . import res_partner
