from . import otc_dispute_reason
from . import otc_dispute
from . import account_move
from . import res_partner
