from odoo import SUPERUSER_ID, api
from odoo.tools import convert_file


def migrate(cr, version):
    """The statement email template moved from the statement wizard to the
    customer (res.partner). Its data file is noupdate, which an update never
    reloads: load it once as at installation."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    convert_file(
        env,
        "otc_collections",
        "data/mail_template_statement_data.xml",
        {},
        mode="init",
        noupdate=True,
    )
