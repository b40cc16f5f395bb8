from . import test_exposure
from . import test_credit_check
from . import test_credit_approval
from . import test_credit_portal
from . import test_credit_alerts
from . import test_credit_control
from . import test_credit_security
