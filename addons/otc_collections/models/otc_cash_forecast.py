from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import forecast as forecast_engine
from ..engine import prediction as prediction_engine

WEEKS = 13
#: orders are less certain than invoices: when they are invoiced is a guess
ORDER_SPREAD_DAYS = 10.0


class OtcCashForecast(models.TransientModel):
    """Expected collections for the next 13 weeks, with an 80 % band.

    What is expected (in company currency):

    * each open invoice at its predicted payment date
      (``otc.payment.prediction``), with the spread of its interval; an open
      promise to pay is already the prediction of its invoices; the amount
      under an open dispute is left out (it is not expected until resolved);
    * each confirmed order not yet invoiced: its amount to invoice, invoiced
      at its commitment date (or today), paid after the customer's payment
      terms (the term's longest delay) plus the company's average days late.

    ``engine/forecast.py`` spreads them over the weeks.
    """

    _name = "otc.cash.forecast"
    _description = "Cash-in Forecast"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_start = fields.Date(
        "Week Starting",
        required=True,
        default=lambda self: (
            fields.Date.context_today(self)
            - timedelta(days=fields.Date.context_today(self).weekday())
        ),
    )
    include_orders = fields.Boolean("Include Orders Not Invoiced", default=True)
    line_ids = fields.One2many("otc.cash.forecast.line", "forecast_id", readonly=True)
    total_expected = fields.Monetary(readonly=True)
    beyond = fields.Monetary("After the 13 Weeks", readonly=True)
    disputed = fields.Monetary("Left Out (Disputed)", readonly=True)

    def _otc_expected_invoices(self):
        """Expected receipts from the stored predictions, and the disputed total."""
        self.env["otc.payment.prediction"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT amount_residual_company
                       * (1 - LEAST(1, disputed_amount / NULLIF(amount_residual, 0))),
                       amount_residual_company
                       * LEAST(1, disputed_amount / NULLIF(amount_residual, 0)),
                       predicted_date, predicted_low, predicted_high
                  FROM otc_payment_prediction
                 WHERE company_id = %s
                """,
                self.company_id.id,
            )
        )
        items, disputed = [], 0.0
        for amount, left_out, when, low, high in self.env.cr.fetchall():
            disputed += left_out or 0.0
            # a promise has no spread; otherwise the upper half of the interval
            # (its low end may have been raised to the prediction date)
            spread = (
                max(1.0, (high - when).days / prediction_engine.Z80)
                if high and low and high > low
                else 0.0
            )
            items.append(forecast_engine.Expected(amount or 0.0, when, spread))
        return items, disputed

    def _otc_expected_orders(self):
        """Confirmed orders' untaxed amounts still to invoice, expected after
        the order's payment terms plus the company's average predicted delay."""
        self.env["sale.order"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(so.commitment_date::date, %(today)s),
                       SUM(sol.untaxed_amount_to_invoice
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)),
                       COALESCE((SELECT MAX(tl.nb_days) FROM account_payment_term_line tl
                                  WHERE tl.payment_id = so.payment_term_id), 0)
                  FROM sale_order so
                  JOIN sale_order_line sol ON sol.order_id = so.id
                 WHERE so.company_id = %(company)s
                   AND so.state = 'sale'
                   AND so.invoice_status = 'to invoice'
              GROUP BY so.id
                """,
                today=max(fields.Date.context_today(self), self.date_start),
                company=self.company_id.id,
            )
        )
        orders = self.env.cr.fetchall()
        self.env.cr.execute(
            SQL(
                "SELECT COALESCE(AVG(predicted_days_late), 0) FROM otc_payment_prediction"
                " WHERE company_id = %s AND source != %s",
                self.company_id.id,
                prediction_engine.SOURCE_PROMISE,
            )
        )
        delay = self.env.cr.fetchone()[0]
        return [
            forecast_engine.Expected(
                amount,
                invoiced + timedelta(days=round(days + delay)),
                ORDER_SPREAD_DAYS,
            )
            for invoiced, amount, days in orders
            if amount and amount > 0
        ]

    def action_compute(self):
        self.ensure_one()
        items, disputed = self._otc_expected_invoices()
        if self.include_orders:
            items += self._otc_expected_orders()
        result = forecast_engine.forecast(
            items,
            self.date_start,
            WEEKS,
            correlation=forecast_engine.DEFAULT_CORRELATION,
        )
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [
                    fields.Command.create(
                        {
                            "week_start": week.start,
                            "expected": week.expected,
                            "low": week.low,
                            "high": week.high,
                        }
                    )
                    for week in result.weeks
                ],
                "total_expected": sum(w.expected for w in result.weeks),
                "beyond": result.beyond,
                "disputed": disputed,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def action_open(self):
        """Menu entry: today's forecast, computed."""
        return self.create({}).action_compute()
