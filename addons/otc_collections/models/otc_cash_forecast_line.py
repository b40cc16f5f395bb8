from odoo import fields, models


class OtcCashForecastLine(models.TransientModel):
    _name = "otc.cash.forecast.line"
    _description = "Cash-in Forecast Week"
    _order = "week_start"

    forecast_id = fields.Many2one(
        "otc.cash.forecast", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="forecast_id.currency_id")
    week_start = fields.Date(required=True)
    expected = fields.Monetary()
    low = fields.Monetary("Low (80 %)")
    high = fields.Monetary("High (80 %)")
