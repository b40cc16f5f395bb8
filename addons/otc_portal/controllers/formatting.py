"""Amounts and dates as the portal pages print them, fast.

A customer's payment page may list thousands of invoices: formatting each
amount through ``format_amount`` (a language lookup and a regular expression
per call) would cost more than the query. ``Formatter`` reads the language
once and formats with Python's own grouping when the language groups digits
by three (almost all of them), falling back to Odoo's formatting otherwise,
so the result is the same text.
"""

from odoo.tools import format_amount
from odoo.tools.misc import get_lang

NBSP = "\N{NO-BREAK SPACE}"


class Formatter:
    def __init__(self, env):
        self.env = env
        lang = get_lang(env)
        self.lang_code = lang.code
        self.date_format = lang.date_format or "%m/%d/%Y"
        self.decimal_point = lang.decimal_point or "."
        self.thousands_sep = (lang.thousands_sep or "").replace(" ", NBSP)
        self.fast = (lang.grouping or "[]").replace(" ", "") in ("[3,0]", "[3]")
        self._currencies = {}

    def _currency(self, currency):
        data = self._currencies.get(currency.id)
        if data is None:
            data = self._currencies[currency.id] = (
                currency.decimal_places,
                currency.rounding,
                currency.symbol or "",
                currency.position == "before",
            )
        return data

    def amount(self, value, currency):
        if not self.fast:
            return format_amount(self.env, value, currency, self.lang_code)
        digits, _rounding, symbol, before = self._currency(currency)
        text = f"{abs(value):,.{digits}f}"
        if self.thousands_sep != "," or self.decimal_point != ".":
            text = (
                text.replace(",", "\x00")
                .replace(".", self.decimal_point)
                .replace("\x00", self.thousands_sep)
            )
        if value < 0 and text.strip("0" + self.decimal_point + self.thousands_sep):
            text = "-\N{ZERO WIDTH NO-BREAK SPACE}" + text
        return f"{symbol}{NBSP}{text}" if before else f"{text}{NBSP}{symbol}"

    def date(self, value):
        return value.strftime(self.date_format) if value else ""

    def number(self, value, currency):
        """The amount as an ``<input type="number">`` value (dot decimals)."""
        digits = self._currency(currency)[0]
        return f"{value:.{digits}f}"
