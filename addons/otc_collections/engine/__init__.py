# Pure-Python engines: no Odoo import here, so they can be unit-tested alone.
