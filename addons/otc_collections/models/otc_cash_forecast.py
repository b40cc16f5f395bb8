import hashlib
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
        """Expected receipts from the stored predictions, summed per predicted
        date and spread in SQL (``forecast_engine.ExpectedGroup``: the engine
        sums them so anyway, and a company has thousands of such pairs for a
        hundred thousand invoices), and the disputed total."""
        self.env["otc.payment.prediction"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH p AS (
                    SELECT (amount_residual_company * (1 - LEAST(1, disputed_amount
                               / NULLIF(amount_residual, 0))))::float8 AS amount,
                           (amount_residual_company * LEAST(1, disputed_amount
                               / NULLIF(amount_residual, 0)))::float8 AS left_out,
                           predicted_date,
                           -- a promise has no spread; otherwise the upper half
                           -- of the interval (its low end may have been raised
                           -- to the prediction date)
                           CASE WHEN predicted_high > predicted_low
                                THEN GREATEST(1.0, (predicted_high - predicted_date)::float8
                                                   / %(z)s::float8)
                                ELSE 0.0 END AS spread
                      FROM otc_payment_prediction
                     WHERE company_id = %(company)s
                )
                SELECT predicted_date, spread,
                       COALESCE(SUM(amount) FILTER (WHERE amount > 0), 0),
                       COALESCE(SUM(amount * amount) FILTER (WHERE amount > 0), 0),
                       COALESCE(SUM(left_out), 0)
                  FROM p
              GROUP BY 1, 2
                """,
                z=prediction_engine.Z80,
                company=self.company_id.id,
            )
        )
        items, disputed = [], 0.0
        for when, spread, amount, squares, left_out in self.env.cr.fetchall():
            disputed += left_out
            if amount > 0:
                items.append(
                    forecast_engine.ExpectedGroup(amount, squares, when, spread)
                )
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
        if not orders:
            return []
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

    def _otc_key(self, orders):
        """What the forecast is computed from, in a few bytes: the week, the
        options, the predictions (rewritten as a whole by each run, with new
        ids: their count and last id say which run) and the orders' expected
        receipts (read anyway)."""
        self.env.cr.execute(
            SQL(
                "SELECT COUNT(*), MAX(id) FROM otc_payment_prediction WHERE company_id = %s",
                self.company_id.id,
            )
        )
        inputs = (
            self.company_id.id,
            str(self.date_start),
            self.include_orders,
            forecast_engine.DEFAULT_CORRELATION,
            self.env.cr.fetchone(),
            sorted((str(o.mean_date), o.amount, o.std_days) for o in orders),
        )
        return hashlib.sha1(repr(inputs).encode()).hexdigest()

    def _otc_result(self):
        """``{"weeks": [[start, expected, low, high]], "total", "beyond",
        "disputed", "key"}``.

        The daily prediction run stores the company's forecast of the week
        (``res.company.otc_forecast_cache``) with the key of its inputs
        (:meth:`_otc_key`); it is reused while the key is the same: the same
        predictions, week and orders give the same figures. New invoices,
        payments and disputes reach the forecast through the predictions,
        that is with the next run, computed here or not."""
        self.ensure_one()
        orders = self._otc_expected_orders() if self.include_orders else []
        key = self._otc_key(orders)
        cache = self.company_id.sudo().otc_forecast_cache or {}
        if cache.get("key") == key:
            return cache
        items, disputed = self._otc_expected_invoices()
        result = forecast_engine.forecast(
            items + orders,
            self.date_start,
            WEEKS,
            correlation=forecast_engine.DEFAULT_CORRELATION,
        )
        # in the currency's precision, as the forecast's monetary fields keep them
        rnd = self.company_id.currency_id.round
        return {
            "key": key,
            "weeks": [
                [str(w.start), rnd(w.expected), rnd(w.low), rnd(w.high)]
                for w in result.weeks
            ],
            "total": rnd(sum(w.expected for w in result.weeks)),
            "beyond": rnd(result.beyond),
            "disputed": rnd(disputed),
        }

    @api.model
    def _otc_this_week(self, company):
        """The forecast of ``company`` from this week, orders included, as the
        menu's, in memory (what the dashboard shows and the daily run stores)."""
        today = fields.Date.context_today(self)
        return self.new(
            {
                "company_id": company.id,
                "date_start": today - timedelta(days=today.weekday()),
                "include_orders": True,
            }
        )

    @api.model
    def _otc_store(self, company):
        """Compute and keep the company's forecast of this week (daily run)."""
        company.sudo().otc_forecast_cache = self._otc_this_week(company)._otc_result()

    def action_compute(self):
        self.ensure_one()
        result = self._otc_result()
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [
                    fields.Command.create(
                        {
                            "week_start": start,
                            "expected": expected,
                            "low": low,
                            "high": high,
                        }
                    )
                    for start, expected, low, high in result["weeks"]
                ],
                "total_expected": result["total"],
                "beyond": result["beyond"],
                "disputed": result["disputed"],
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
