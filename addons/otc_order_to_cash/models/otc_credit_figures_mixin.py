from odoo import api, fields, models


class OtcCreditFiguresMixin(models.AbstractModel):
    """A customer's credit figures, declared once.

    The Credit Control list (a SQL view) and credit approval requests (the
    figures at the time the order was judged) carry the same amounts under the
    same names, in the company currency (the model's ``currency_id``). The
    customer form and the sale order show them too, under ``otc_`` names:
    Odoo's ``res.partner`` already has a ``credit_limit`` of its own, so the
    suite's names there must differ. ``_otc_figure_values`` turns one row of
    ``otc.credit.exposure`` into these values for all of them: the one place
    where the available credit is derived from the limit and the exposure.
    """

    _name = "otc.credit.figures.mixin"
    _description = "Credit Exposure Figures"

    # the company's currency; models set how they get it
    currency_id = fields.Many2one("res.currency", readonly=True)
    credit_limit = fields.Monetary(readonly=True)
    receivable = fields.Monetary(string="Open Receivables", readonly=True)
    draft_invoices = fields.Monetary(readonly=True)
    unbilled_orders = fields.Monetary(string="Uninvoiced Orders", readonly=True)
    unallocated = fields.Monetary(string="Unallocated Credits", readonly=True)
    exposure = fields.Monetary(readonly=True)
    available_credit = fields.Monetary(
        readonly=True, help="Credit limit minus exposure; 0 without a limit."
    )
    overdue_amount = fields.Monetary(readonly=True)

    @api.model
    def _otc_figure_values(self, exp, limit=None, exposure=None):
        """The figures of one ``otc.credit.exposure`` row, as field values.

        :param exp: an ``Exposure`` row (amounts in company currency)
        :param limit: the limit applied, when the caller resolved it otherwise
            (an approval records the limit the decision used)
        :param exposure: the exposure to show, when it is not the row's (an
            approval shows the exposure before its own order)
        """
        limit = exp.profile().limit if limit is None else limit
        exposure = exp.exposure if exposure is None else exposure
        return {
            "credit_limit": limit,
            "receivable": exp.receivable,
            "draft_invoices": exp.draft_invoices,
            "unbilled_orders": exp.unbilled_orders,
            "unallocated": exp.unallocated,
            "exposure": exposure,
            "available_credit": limit - exposure if limit else 0.0,
            "overdue_amount": exp.overdue_amount,
        }
