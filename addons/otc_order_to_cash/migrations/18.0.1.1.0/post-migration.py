from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Databases that had the suite before the Payment Difference Account got a
    default at installation: give their companies the same default (the
    chart's bank fee account, created when missing), so that bank fees are
    written off after the upgrade as after a fresh install. A company that
    chose an account keeps it."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([])._otc_ensure_cash_writeoff_account()
