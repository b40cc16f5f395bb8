from . import otc_payment_request_wizard
from . import otc_dispute_reject_wizard
