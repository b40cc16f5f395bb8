# Pure-Python engines of the customer portal: no Odoo import here, so they
# can be unit-tested alone (tests/test_portal_*.py).
