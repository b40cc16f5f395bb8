from . import res_company
from . import res_config_settings
from . import res_partner
from . import otc_payment_request
from . import otc_payment_request_line
from . import payment_transaction
from . import otc_dispute
from . import otc_promise
