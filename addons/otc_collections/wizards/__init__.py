from . import otc_dispute_reject_wizard
