from odoo import fields, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    # Indexed: the receivables open at a past date, the KPIs' payments of a
    # period and the payment history of the predictions all select the
    # reconciliations by the date they took effect.
    max_date = fields.Date(index=True)
