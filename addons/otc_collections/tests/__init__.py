from . import test_install
from . import test_dispute
from . import test_promise
from . import test_worklist
from . import test_dunning
from . import test_statement
from . import test_tours
from . import test_receivable_kpi
