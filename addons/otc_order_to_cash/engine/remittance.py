"""Remittance advice files: how one payment splits over many invoices.

How it works
------------
A customer paying many invoices at once sends a *remittance advice*: a CSV or
XLSX file with one row per invoice, the amount paid on it and, sometimes, a
deduction the customer took (damaged goods, a disputed price...) with its
reason.  ``read`` turns the bytes of such a file into ``Row`` objects; the
Odoo side then resolves each row's invoice reference to an open item and
records the split, which the cash-application matcher applies.

Reading happens in four steps, each checking what it can:

1. *The table.*  A file starting with the ZIP signature is read as XLSX
   (``openpyxl``, imported only then, read-only and formulas' cached values);
   an old binary ``.xls`` is refused with its own error.  Anything else is
   text: UTF-16 when it has a UTF-16 byte-order mark, else UTF-8 (with or
   without BOM), else Windows-1252, else Latin-1 (which always decodes).  A
   NUL character means a binary file.  The delimiter is the mapping's, or
   sniffed: among tab, semicolon, comma and pipe, the one that splits the
   first lines into the same number (at least two) of fields most
   consistently; ties go in that order, so that ``INV1;1.234,56`` is read
   with semicolons.  Quotes must be balanced (``csv`` in strict mode).
2. *The columns.*  ``Mapping`` says, for each field, which column holds it:
   a header name (compared case-, accent- and punctuation-insensitively:
   ``Invoice No.`` = ``invoice no``), a column letter (``C``) or a 1-based
   index (``3``).  A header name is looked up in the header row
   (``header_row``, 1-based, 0 = the file has none; rows above it are
   skipped as a preamble).  A field whose column is left empty is found by
   its usual header names (``HEADERS``); invoice and amount are required,
   the others optional.  Two fields in one column, or a column that is not
   there, are errors.
3. *The rows.*  Blank rows are skipped.  Each row needs an invoice
   reference and an amount paid; the deduction is optional (empty = 0).
   Amounts may carry a currency sign or code and thousands separators
   (``1.234,56``, ``1 234.56``, ``1'234.56``, ``1,234.56``); separators must
   group by three.  The decimal separator is the mapping's or, when it says
   ``auto``, the one most rows show unambiguously (``12,50``, ``1.234,56``
   vote for comma; ``1,234`` votes for nothing; no vote means a point).
   Negative or credit amounts (``-5``, ``5-``, ``(5)``, ``5 CR``) are
   refused: a remittance pays invoices, credit notes are not rows.  More
   decimals than the currency has are refused rather than rounded.  XLSX
   numbers are taken as they are (within 1e-6 of the currency's precision).
   An invoice listed twice (letters and digits compared: ``INV/26/1`` =
   ``inv 26-1``) is refused, as is a row paying and deducting nothing.  The
   payment reference and date, when mapped, must be the same on every row
   that has one (one file, one payment).
4. *The total.*  When the payment's total is known (``expected_total``,
   e.g. the bank statement line's amount), the amounts paid must add up to
   it; deductions are not part of it (the customer paid the amount *after*
   deducting).

Every problem is a ``Problem``: the file row it is on (as a spreadsheet or
text editor numbers it, 0 for the file as a whole), a ``code`` and ``args``
(plain values).  Reading does not stop at the first problem of a row: all
rows are checked and every problem is reported, so that the user fixes the
file once.  Only problems with the table or the columns stop reading, as no
row can be read then.  ``read`` returns a ``Result`` with the rows and the
problems; ``parse`` raises ``RemittanceError`` carrying all the problems
when there is any.  The messages here (``MESSAGES``, English) serve logs
and tests; the Odoo side renders the codes with translated messages.
"""

import codecs
import csv
import datetime
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import matching

# fields of a row
INVOICE = "invoice"
AMOUNT = "amount"
DEDUCTION = "deduction"
DEDUCTION_REASON = "deduction_reason"
PAYMENT_REFERENCE = "payment_reference"
PAYMENT_DATE = "payment_date"
FIELDS = (INVOICE, AMOUNT, DEDUCTION, DEDUCTION_REASON, PAYMENT_REFERENCE, PAYMENT_DATE)
REQUIRED = (INVOICE, AMOUNT)

# usual header names of each field (normalized, see ``norm_header``), tried in
# this order when the mapping leaves the field's column empty
HEADERS = {
    INVOICE: (
        "invoice",
        "invoice number",
        "invoice no",
        "invoice nr",
        "invoice reference",
        "invoice ref",
        "invoice id",
        "document number",
        "document no",
        "document",
        "doc no",
        "facture",
        "numero de facture",
        "rechnung",
        "rechnungsnummer",
        "factuur",
        "factuurnummer",
    ),
    AMOUNT: (
        "amount paid",
        "paid amount",
        "paid",
        "payment amount",
        "net amount",
        "net paid",
        "amount",
        "montant paye",
        "montant",
        "betrag",
        "bedrag",
    ),
    DEDUCTION: (
        "deduction",
        "deduction amount",
        "deductions",
        "discount taken",
        "short payment",
        "adjustment",
        "deduction montant",
    ),
    DEDUCTION_REASON: (
        "deduction reason",
        "reason",
        "reason code",
        "deduction code",
        "motif",
        "grund",
    ),
    PAYMENT_REFERENCE: (
        "payment reference",
        "payment ref",
        "payment number",
        "payment no",
        "payment id",
        "check number",
        "cheque number",
    ),
    PAYMENT_DATE: ("payment date", "value date", "date of payment"),
}

DELIMITERS = ("\t", ";", ",", "|")
FILE_CSV = "csv"
FILE_XLSX = "xlsx"
MAX_ROWS = 20000
SNIFF_LINES = 30
# an XLSX sheet formatted far below its data: stop after so many blank rows
MAX_BLANK_RUN = 1000

# problem codes: file as a whole
E_EMPTY = "empty_file"
E_MALFORMED = "malformed"  # detail
E_BINARY = "binary_file"
E_LEGACY_XLS = "legacy_xls"
E_NO_XLSX = "xlsx_unsupported"
E_SHEET = "unknown_sheet"  # sheet, sheets
E_NO_HEADER = "no_header_row"  # header_row
E_MISSING_COLUMN = "missing_column"  # field, column, headers
E_UNMAPPED = "unmapped_column"  # field, headers
E_SAME_COLUMN = "same_column"  # field, other, column
E_NO_ROWS = "no_rows"
E_TOO_MANY_ROWS = "too_many_rows"  # limit
E_TOTAL = "total_mismatch"  # total, expected, difference
# problem codes: one row
E_NO_INVOICE = "missing_invoice"
E_NO_AMOUNT = "missing_amount"
E_BAD_AMOUNT = "bad_amount"  # field, value
E_NEGATIVE = "negative_amount"  # field, value
E_DECIMALS = "too_many_decimals"  # field, value, digits
E_NOTHING = "nothing_paid"
E_BAD_DATE = "bad_date"  # field, value
E_DUPLICATE = "duplicate_invoice"  # invoice, first_row
E_REFERENCES = "several_payment_references"  # reference, first, first_row
E_DATES = "several_payment_dates"  # date, first, first_row

MESSAGES = {
    E_EMPTY: "the file is empty",
    E_MALFORMED: "the file cannot be read: %(detail)s",
    E_BINARY: "the file is not a text (CSV) file nor an XLSX workbook",
    E_LEGACY_XLS: "old Excel (.xls) files are not supported: save it as XLSX or CSV",
    E_NO_XLSX: "XLSX files cannot be read here (openpyxl is missing): use CSV",
    E_SHEET: "the workbook has no sheet %(sheet)s (sheets: %(sheets)s)",
    E_NO_HEADER: "the file has no row %(header_row)s to read the column names from",
    E_MISSING_COLUMN: "no column %(column)s for the %(field)s (columns: %(headers)s)",
    E_UNMAPPED: "no column for the %(field)s: name it in the layout (columns: "
    "%(headers)s)",
    E_SAME_COLUMN: "the %(field)s and the %(other)s are both in column %(column)s",
    E_NO_ROWS: "the file has no invoice rows",
    E_TOO_MANY_ROWS: "the file has more than %(limit)s rows",
    E_TOTAL: "the amounts paid add up to %(total)s, the payment is %(expected)s "
    "(difference %(difference)s)",
    E_NO_INVOICE: "no invoice reference",
    E_NO_AMOUNT: "no amount paid",
    E_BAD_AMOUNT: "the %(field)s %(value)r is not an amount",
    E_NEGATIVE: "the %(field)s %(value)r is negative or a credit",
    E_DECIMALS: "the %(field)s %(value)r has more than %(digits)s decimals",
    E_NOTHING: "nothing paid nor deducted",
    E_BAD_DATE: "the %(field)s %(value)r is not a date",
    E_DUPLICATE: "invoice %(invoice)s is already on row %(first_row)s",
    E_REFERENCES: "payment reference %(reference)s differs from %(first)s "
    "(row %(first_row)s)",
    E_DATES: "payment date %(date)s differs from %(first)s (row %(first_row)s)",
}

_CURRENCY_RE = re.compile(r"^(?:[A-Z]{3}|[$€£¥₹])\s*|\s*(?:[A-Z]{3}|[$€£¥₹])$")
_CREDIT_RE = re.compile(r"^(.*?)\s*(?:CR|CREDIT)$|^(?:CR)\s*(.*)$", re.IGNORECASE)
_MINUS = ("-", "\u2212", "\u2013")
_SPACES = (" ", "\u00a0", "\u202f", "\u2009")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d/%m/%y",
    "%d.%m.%y",
)


def fill(template, args):
    """``template % args``, or the template itself if the arguments do not fit."""
    try:
        return template % args
    except (KeyError, TypeError, ValueError):
        return template


@dataclass(frozen=True)
class Mapping:
    """Where a customer's remittance file keeps each field.

    Column specs: a header name, a column letter or a 1-based index; empty =
    found by the usual header names.  ``delimiter`` and ``decimal``: empty =
    detected.  ``header_row``: 1-based row of the column names, 0 = none.
    ``sheet``: XLSX sheet name, empty = the active sheet.
    """

    invoice: str = ""
    amount: str = ""
    deduction: str = ""
    deduction_reason: str = ""
    payment_reference: str = ""
    payment_date: str = ""
    delimiter: str = ""
    decimal: str = ""
    header_row: int = 1
    sheet: str = ""

    def column(self, name):
        return (getattr(self, name) or "").strip()


@dataclass(frozen=True)
class Problem:
    row: int  # file row number, 0 = the file as a whole
    code: str
    args: dict = field(default_factory=dict)

    def message(self):
        text = fill(MESSAGES.get(self.code, self.code), self.args)
        return f"row {self.row}: {text}" if self.row else text


class RemittanceError(ValueError):
    """The file cannot be imported; ``problems`` says every reason why."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message() for p in self.problems))


@dataclass(frozen=True)
class Row:
    row: int  # file row number
    invoice: str
    amount: Decimal
    deduction: Decimal = Decimal(0)
    deduction_reason: str = ""
    payment_reference: str = ""
    payment_date: datetime.date | None = None


@dataclass(frozen=True)
class Result:
    rows: tuple = ()
    problems: tuple = ()
    file_type: str = ""
    delimiter: str = ""
    decimal: str = ""
    # field -> header text (or column letter when there is no header) used
    columns: dict = field(default_factory=dict)
    headers: tuple = ()
    payment_reference: str = ""
    payment_date: datetime.date | None = None

    @property
    def total(self):
        return sum((r.amount for r in self.rows), Decimal(0))

    @property
    def deductions(self):
        return sum((r.deduction for r in self.rows), Decimal(0))


class _Stop(Exception):
    """A problem with the table or the columns: no row can be read."""

    def __init__(self, code, **args):
        super().__init__(code)
        self.problem = Problem(0, code, args)


class _AmountError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


# text helpers -----------------------------------------------------------------


def norm_header(text):
    """Comparable form of a header: lower case ASCII words separated by spaces."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _NON_ALNUM.sub(" ", text).strip()


def invoice_key(reference):
    """Letters and digits of a reference, upper case (``inv 26-1`` = ``INV/26/1``)."""
    text = unicodedata.normalize("NFKD", str(reference or ""))
    return "".join(c for c in text if c.isalnum() and c.isascii()).upper()


def column_letter(index):
    """Spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _letter_index(letters):
    index = 0
    for c in letters.upper():
        index = index * 26 + ord(c) - 64
    return index - 1


def cell_text(value):
    """A cell as text: numbers without a useless ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# amounts ------------------------------------------------------------------------


def _strip_amount(text):
    """(sign-free number text, negative?) of an amount cell's text."""
    text = text.strip()
    for space in _SPACES[1:]:
        text = text.replace(space, " ")
    negative = False
    match = _CREDIT_RE.match(text)
    if match:
        negative = True
        text = (match.group(1) or match.group(2) or "").strip()
    text = _CURRENCY_RE.sub("", text).strip()
    if text.startswith("(") and text.endswith(")"):
        negative = True
        text = text[1:-1].strip()
    text = _CURRENCY_RE.sub("", text).strip()
    if text.startswith(_MINUS):
        negative = True
        text = text[1:].strip()
    elif text.endswith(_MINUS):
        negative = True
        text = text[:-1].strip()
    elif text.startswith("+"):
        text = text[1:].strip()
    return _CURRENCY_RE.sub("", text).strip(), negative


def decimal_vote(text):
    """The decimal separator an amount's text shows unambiguously, or None."""
    number, _negative = _strip_amount(text)
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        return "." if number.rfind(".") > number.rfind(",") else ","
    if dots > 1:
        return ","
    if commas > 1:
        return "."
    if dots == 1 or commas == 1:
        sep = "." if dots else ","
        if len(number) - number.rfind(sep) - 1 != 3:
            return sep
    return None


def guess_decimal(texts):
    """Decimal separator most amount texts show ("." when none tells)."""
    votes = Counter(v for v in map(decimal_vote, texts) if v)
    if not votes:
        return "."
    if votes["."] >= votes[","]:
        return "."
    return ","


def parse_amount(value, decimal=".", digits=2):
    """``Decimal`` of an amount cell (text or number); raises ``_AmountError``.

    Refuses negative and credit amounts (``E_NEGATIVE``), texts that are not
    amounts (``E_BAD_AMOUNT``) and more decimals than ``digits``
    (``E_DECIMALS``).
    """
    quantum = Decimal(1).scaleb(-digits)
    if isinstance(value, bool):
        raise _AmountError(E_BAD_AMOUNT)
    if isinstance(value, int | float | Decimal):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not amount.is_finite():
            raise _AmountError(E_BAD_AMOUNT)
        if amount < 0:
            raise _AmountError(E_NEGATIVE)
        rounded = amount.quantize(quantum)
        if abs(amount - rounded) > Decimal("0.000001"):
            raise _AmountError(E_DECIMALS)
        return rounded
    number, negative = _strip_amount(str(value))
    thousands = "".join(c for c in ",. '" if c != decimal)
    plain = re.fullmatch(r"([0-9]*)(?:%s([0-9]+))?" % re.escape(decimal), number)
    grouped = re.fullmatch(
        r"([0-9]{1,3}(?:([%s])[0-9]{3})(?:\2[0-9]{3})*)(?:%s([0-9]+))?"
        % (re.escape(thousands), re.escape(decimal)),
        number,
    )
    if plain and (plain.group(1) or plain.group(2)):
        whole, fraction = plain.group(1) or "0", plain.group(2) or ""
    elif grouped:
        whole = re.sub(r"[^0-9]", "", grouped.group(1))
        fraction = grouped.group(3) or ""
    else:
        raise _AmountError(E_BAD_AMOUNT)
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the regexps exclude it
        raise _AmountError(E_BAD_AMOUNT) from exc
    if negative and amount:
        raise _AmountError(E_NEGATIVE)
    if len(fraction.rstrip("0")) > digits:
        raise _AmountError(E_DECIMALS)
    return amount.quantize(quantum)


def parse_date(value):
    """A date from a cell (date, datetime or text); ``None`` if not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# the table --------------------------------------------------------------------


def decode(content):
    """Text of a CSV file's bytes (UTF-16 with BOM, UTF-8, CP1252, Latin-1)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _Stop(E_MALFORMED, detail=str(exc)) from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def sniff_delimiter(text):
    """The delimiter that splits the first lines most consistently."""
    lines = []
    for line in io.StringIO(text):  # the first lines only, not the whole file
        if line.strip():
            lines.append(line.rstrip("\r\n"))
            if len(lines) >= SNIFF_LINES:
                break
    best, best_key = ",", None
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        key = (count / len(widths), -rank)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def _blank(cells):
    return not any(cell_text(c) for c in cells)


def _csv_rows(content, mapping):
    """(delimiter, iterator of (row number, cells)) of a CSV file, streamed.

    Rows are parsed one at a time as they are asked for: a reader stopping
    at the row limit never parses the rest of the file.
    """
    text = decode(content)
    if "\x00" in text:
        raise _Stop(E_BINARY)
    delimiter = mapping.delimiter or sniff_delimiter(text)

    def rows():
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, strict=True
        )
        start = 1
        try:
            for cells in reader:
                yield start, [c.strip() for c in cells]
                start = reader.line_num + 1
        except csv.Error as exc:
            raise _Stop(
                E_MALFORMED,
                detail=f"line {reader.line_num}: {exc}",
                row=reader.line_num,
            ) from exc

    return delimiter, rows()


class _XlsxSheet:
    """A worksheet read row by row (``openpyxl`` read-only mode).

    A sheet may declare up to 16,384 columns and a million rows whatever it
    holds: rows are read only up to the columns asked for (``max_col``), so
    that no row is padded to the declared width, and a long run of blank
    rows ends the sheet (``MAX_BLANK_RUN``).
    """

    def __init__(self, content, mapping):
        try:
            import openpyxl  # noqa: PLC0415 - optional, only for XLSX files
        except ImportError as exc:  # pragma: no cover - openpyxl ships with Odoo
            raise _Stop(E_NO_XLSX) from exc
        try:
            self.workbook = openpyxl.load_workbook(
                io.BytesIO(content), read_only=True, data_only=True
            )
        except Exception as exc:  # openpyxl raises zipfile, KeyError, XML... errors
            raise _Stop(E_MALFORMED, detail=str(exc) or type(exc).__name__) from exc
        try:
            sheets = self.workbook.sheetnames
            if mapping.sheet:
                wanted = norm_header(mapping.sheet)
                names = [s for s in sheets if norm_header(s) == wanted]
                if not names:
                    raise _Stop(E_SHEET, sheet=mapping.sheet, sheets=", ".join(sheets))
                self.sheet = self.workbook[names[0]]
            else:
                self.sheet = self.workbook.active or self.workbook[sheets[0]]
        except Exception:
            self.workbook.close()
            raise

    def rows(self, min_row, max_col):
        """(row number, cells) from ``min_row`` on, ``max_col`` cells each."""
        blank_run = 0
        try:
            for number, values in enumerate(
                self.sheet.iter_rows(
                    min_row=min_row, max_col=max(max_col, 1), values_only=True
                ),
                start=min_row,
            ):
                values = list(values)
                if _blank(values):
                    blank_run += 1
                    if blank_run > MAX_BLANK_RUN:
                        return
                else:
                    blank_run = 0
                yield number, values
        except _Stop:
            raise
        except Exception as exc:  # a broken sheet surfaces while iterating
            raise _Stop(E_MALFORMED, detail=str(exc) or type(exc).__name__) from exc

    def close(self):
        self.workbook.close()


def _trimmed_width(cells):
    """Number of cells up to the last one holding something."""
    for index in range(len(cells) - 1, -1, -1):
        if cell_text(cells[index]):
            return index + 1
    return 0


def _collect(rows, header_row, columns, max_rows, width_of=len):
    """(data rows, widest row) read from ``rows`` after the header row.

    Keeps only the mapped columns' cells of the non-blank rows; stops as soon
    as there are more than ``max_rows`` of them (returns None for the rows
    then), so that an oversized file is never read to its end.
    """
    used = max(columns.values()) + 1
    data, width = [], 0
    for number, cells in rows:
        if number <= header_row:
            continue
        width = max(width, width_of(cells))
        if _blank(cells):
            continue
        if len(data) >= max_rows:
            return None, width
        data.append((number, cells[:used]))
    return data, width


# the columns ------------------------------------------------------------------


def _spec_index(spec, headers):
    """0-based column of a spec (header name, letter or index), or None."""
    if headers is not None:
        key = norm_header(spec)
        for index, header in enumerate(headers):
            if key and header == key:
                return index
    if re.fullmatch(r"[0-9]{1,4}", spec):
        return int(spec) - 1 if int(spec) >= 1 else None
    if re.fullmatch(r"[A-Za-z]{1,3}", spec):
        return _letter_index(spec)
    return None


def resolve_columns(mapping, header_cells, width=None):
    """field -> 0-based column index; raises ``_Stop`` on a missing column.

    ``header_cells`` is the header row's cells, or None without header row;
    ``width`` the number of columns of the widest row (None: unknown).
    """
    headers = None
    if header_cells is not None:
        headers = [norm_header(cell_text(c)) for c in header_cells]
    shown = ", ".join(cell_text(c) for c in header_cells or () if cell_text(c))
    columns = {}
    for name in FIELDS:
        spec = mapping.column(name)
        if spec:
            index = _spec_index(spec, headers)
            if index is None or (width is not None and index >= width):
                raise _Stop(E_MISSING_COLUMN, field=name, column=spec, headers=shown)
            columns[name] = index
        elif headers is not None:
            taken = set(columns.values())
            for synonym in HEADERS[name]:
                if synonym in headers and headers.index(synonym) not in taken:
                    columns[name] = headers.index(synonym)
                    break
        if name in REQUIRED and name not in columns:
            raise _Stop(E_UNMAPPED, field=name, headers=shown)
    seen = {}
    for name, index in columns.items():
        if index in seen:
            raise _Stop(
                E_SAME_COLUMN,
                field=seen[index],
                other=name,
                column=column_letter(index),
            )
        seen[index] = name
    return columns


# the rows ---------------------------------------------------------------------


class _RowReader:
    """Reads the data rows one by one, remembering what spans rows."""

    def __init__(self, columns, decimal, digits):
        self.columns = columns
        self.decimal = decimal
        self.digits = digits
        self.rows = []
        self.problems = []
        self.paid = Decimal(0)
        self.amounts_ok = True
        self.invoices = {}  # invoice key -> first row
        self.reference = None  # (payment reference, first row)
        self.date = None  # (payment date, first row)

    def cell(self, cells, name):
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def amount(self, cells, name, number, problems):
        """Decimal, None when empty, False when wrong (problem recorded)."""
        value = self.cell(cells, name)
        if cell_text(value) == "":
            return None
        try:
            return parse_amount(value, self.decimal, self.digits)
        except _AmountError as exc:
            args = {"field": name, "value": cell_text(value)}
            if exc.code == E_DECIMALS:
                args["digits"] = self.digits
            problems.append(Problem(number, exc.code, args))
            return False

    @staticmethod
    def same_everywhere(value, number, first, code, key, problems):
        """Record a payment reference/date; a different one is a problem."""
        if value in (None, ""):
            return first
        if first is None:
            return (value, number)
        if value != first[0]:

            def shown(v):
                return v.isoformat() if isinstance(v, datetime.date) else v

            args = {key: shown(value), "first": shown(first[0]), "first_row": first[1]}
            problems.append(Problem(number, code, args))
        return first

    def invoice(self, cells, number, problems):
        invoice = cell_text(self.cell(cells, INVOICE))
        if not invoice:
            problems.append(Problem(number, E_NO_INVOICE))
            return invoice
        key = invoice_key(invoice) or invoice.upper()
        if key in self.invoices:
            args = {"invoice": invoice, "first_row": self.invoices[key]}
            problems.append(Problem(number, E_DUPLICATE, args))
        else:
            self.invoices[key] = number
        return invoice

    def payment_date(self, cells, number, problems):
        raw = self.cell(cells, PAYMENT_DATE)
        if not cell_text(raw):
            return None
        date = parse_date(raw)
        if date is None:
            args = {"field": PAYMENT_DATE, "value": cell_text(raw)}
            problems.append(Problem(number, E_BAD_DATE, args))
        return date

    def read_row(self, number, cells):
        problems = []
        invoice = self.invoice(cells, number, problems)
        amount = self.amount(cells, AMOUNT, number, problems)
        if amount is None:
            problems.append(Problem(number, E_NO_AMOUNT))
        deduction = self.amount(cells, DEDUCTION, number, problems)
        if amount is None or amount is False or deduction is False:
            self.amounts_ok = False
        else:
            self.paid += amount
            if not amount and not deduction:
                problems.append(Problem(number, E_NOTHING))
        reference = cell_text(self.cell(cells, PAYMENT_REFERENCE))
        self.reference = self.same_everywhere(
            reference, number, self.reference, E_REFERENCES, "reference", problems
        )
        date = self.payment_date(cells, number, problems)
        self.date = self.same_everywhere(
            date, number, self.date, E_DATES, "date", problems
        )
        self.problems += problems
        if problems:
            return
        self.rows.append(
            Row(
                row=number,
                invoice=invoice,
                amount=amount,
                deduction=deduction or Decimal(0),
                deduction_reason=cell_text(self.cell(cells, DEDUCTION_REASON)),
                payment_reference=reference,
                payment_date=date,
            )
        )

    def check_total(self, expected_total):
        if not self.amounts_ok or expected_total is None:
            return
        quantum = Decimal(1).scaleb(-self.digits)
        expected = Decimal(repr(float(expected_total))).quantize(quantum)
        if self.paid != expected:
            args = {
                "total": self.paid,
                "expected": expected,
                "difference": self.paid - expected,
            }
            self.problems.append(Problem(0, E_TOTAL, args))


# columns read from the header row of an XLSX sheet (a sheet may declare
# 16,384): a layout naming a column further right names it by letter
HEADER_SCAN_COLUMNS = 256
MAX_XLSX_COLUMNS = 16384


def _header(rows, header_row, width_of=len):
    """(header cells, widest row up to it) from the first rows of ``rows``."""
    seen_any, width = False, 0
    for number, cells in rows:
        width = max(width, width_of(cells))
        seen_any = seen_any or not _blank(cells)
        if number == header_row:
            return cells, width
        if number > header_row:
            break
    if not seen_any:
        raise _Stop(E_EMPTY)
    raise _Stop(E_NO_HEADER, header_row=header_row)


def _spec_max_index(mapping):
    """Largest column index named by letter or number in ``mapping``, or -1."""
    indexes = [
        _spec_index(mapping.column(name), None)
        for name in FIELDS
        if mapping.column(name)
    ]
    return max((i for i in indexes if i is not None), default=-1)


def _table(content, mapping, max_rows):
    """(file info, columns, data rows or None when there are too many)."""
    if not content or not content.strip():
        raise _Stop(E_EMPTY)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Stop(E_LEGACY_XLS)
    header_row = max(int(mapping.header_row or 0), 0)
    header_cells, width = None, 0
    if content.startswith(b"PK\x03\x04"):
        sheet = _XlsxSheet(content, mapping)
        try:
            if header_row:
                scan = max(HEADER_SCAN_COLUMNS, _spec_max_index(mapping) + 1)
                header_cells, width = _header(
                    sheet.rows(1, scan), header_row, _trimmed_width
                )
            columns = resolve_columns(mapping, header_cells)
            data, data_width = _collect(
                sheet.rows(header_row + 1, max(columns.values()) + 1),
                header_row,
                columns,
                max_rows,
                _trimmed_width,
            )
            # rows are cut to the columns read: the sheet's declared width
            # says which columns it has
            width = max(width, min(sheet.sheet.max_column or 0, MAX_XLSX_COLUMNS))
        finally:
            sheet.close()
        file_type, delimiter = FILE_XLSX, ""
    else:
        delimiter, rows = _csv_rows(content, mapping)
        if header_row:
            header_cells, width = _header(rows, header_row)
        columns = resolve_columns(mapping, header_cells)
        data, data_width = _collect(rows, header_row, columns, max_rows)
        file_type = FILE_CSV
    # a column beyond every row of the file is not there
    width = max(width, data_width)
    for name, index in columns.items():
        if index >= width:
            raise _Stop(
                E_MISSING_COLUMN,
                field=name,
                column=mapping.column(name) or column_letter(index),
                headers=", ".join(
                    cell_text(c) for c in header_cells or () if cell_text(c)
                ),
            )
    file_info = {
        "file_type": file_type,
        "delimiter": delimiter,
        "columns": {
            name: (
                cell_text(header_cells[index])
                if header_cells is not None
                else column_letter(index)
            )
            for name, index in columns.items()
        },
        "headers": tuple(cell_text(c) for c in header_cells or ()),
    }
    return file_info, columns, data


def read(content, mapping=None, expected_total=None, digits=2, max_rows=MAX_ROWS):
    """Read a remittance file; never raises for a bad file: see ``problems``.

    ``expected_total``: the payment's total (number), checked against the
    sum of the amounts paid when given.  ``digits``: the currency's decimal
    places.  The file is read row by row and only its mapped columns are
    kept: reading stops at the first row beyond ``max_rows`` (the file is
    refused with the row-limit problem), whatever size the sheet declares.
    """
    mapping = mapping or Mapping()
    try:
        file_info, columns, data = _table(content, mapping, max_rows)
    except _Stop as stop:
        args = dict(stop.problem.args)
        row = args.pop("row", 0)
        return Result(problems=(Problem(row, stop.problem.code, args),))
    if data is None:
        problem = Problem(0, E_TOO_MANY_ROWS, {"limit": max_rows})
        return Result(problems=(problem,), **file_info)
    if not data:
        return Result(problems=(Problem(0, E_NO_ROWS),), **file_info)
    decimal = mapping.decimal
    if not decimal:
        texts = [
            cells[columns[name]]
            for _number, cells in data
            for name in (AMOUNT, DEDUCTION)
            if name in columns and columns[name] < len(cells)
        ]
        decimal = guess_decimal(t for t in texts if isinstance(t, str) and t)
    reader = _RowReader(columns, decimal, digits)
    for number, cells in data:
        reader.read_row(number, cells)
    reader.check_total(expected_total)
    return Result(
        rows=tuple(reader.rows),
        problems=tuple(reader.problems),
        decimal=decimal,
        payment_reference=reader.reference[0] if reader.reference else "",
        payment_date=reader.date[0] if reader.date else None,
        **file_info,
    )


def parse(content, mapping=None, expected_total=None, digits=2, max_rows=MAX_ROWS):
    """``read``, raising ``RemittanceError`` with every problem found."""
    result = read(content, mapping, expected_total, digits, max_rows)
    if result.problems:
        raise RemittanceError(result.problems)
    return result


# applying an advice to its payment ------------------------------------------------

# how an advice was found for a payment, best first, and its certainty
HOW_LINKED, HOW_REFERENCE, HOW_AMOUNT = 3, 2, 1
SCORE_SURE = 0.97  # linked to the payment, or its reference found in the label
SCORE_AMOUNT = 0.9  # same customer and amount
SCORE_DOUBT = 0.8  # the advice no longer adds up to the payment
SCORE_AMBIGUOUS = 0.6  # several advices fit the line, or one fits several lines
# reasons of an advice's proposal (codes of ``matching.Reason``; the Odoo side
# translates them)
REMITTANCE_REASONS = {
    "remittance": "remittance advice %s (%d invoices)",
    "remittance_linked": "linked to this payment",
    "remittance_reference": "payment reference %s found",
    "remittance_amount": "same customer and payment amount",
    "remittance_no_longer_open": "%s is no longer open for %.2f: the rest of its "
    "payment stays as customer credit",
    "remittance_deduction": "deduction of %.2f on %s written off (%s)",
    "remittance_deduction_open": "deduction of %.2f on %s (%s) is above the "
    "write-off limit: it stays open on the invoice",
    "remittance_short": "the payment is %.2f less than the advice: the last "
    "invoices stay partly open",
    "remittance_credit": "%.2f more than the advice stays as customer credit",
    "remittance_ambiguous": "several remittance advices and payments fit: check "
    "which is which",
}
_HOW_CODES = {
    HOW_LINKED: "remittance_linked",
    HOW_REFERENCE: "remittance_reference",
    HOW_AMOUNT: "remittance_amount",
}


@dataclass(frozen=True)
class AdviceRow:
    """One row of an advice as it stands: its item, what it pays and deducts."""

    item_id: object
    label: str
    paid: float
    deduction: float = 0.0
    deduction_reason: str = ""
    residual: float = 0.0  # the item's open amount now, in the advice's currency


def _reason(code, *args):
    return matching.Reason(REMITTANCE_REASONS[code] % args, 0.0, code, tuple(args))


def allocate(
    rows,
    amount,
    *,
    customer_id,
    how,
    ambiguous=False,
    writeoff_budget=0.0,
    currency="",
    digits=2,
    name="",
    payment_reference="",
    remittance_id=None,
):
    """The ``matching.Proposal`` applying an advice's ``rows`` to a payment.

    Each row pays its item what the file says, capped at the item's open
    amount (an item paid meanwhile leaves the amount as customer credit).  A
    deduction is written off, the item being settled in full, while the
    deductions written off stay within ``writeoff_budget`` (the company's
    write-off limit for one payment, in row order); above it the deduction
    stays open on the item.  When the payment is less than the advice, the
    last rows get less (their deductions are not written off then).  The
    score says how the advice was found (``how``) and how well it fits:
    ``SCORE_SURE`` linked or reference found, ``SCORE_AMOUNT`` customer and
    amount, at most ``SCORE_DOUBT`` when it no longer adds up, at most
    ``SCORE_AMBIGUOUS`` when several advices or payments fit; the caller's
    ``matching.decide`` says whether it is applied.  ``amount``: the payment
    in the advice's ``currency`` ("" = company currency).
    """

    def rnd(value):
        return round(value, digits)

    reasons, entries = [], []  # entries: [item id, cash, written off]
    budget = writeoff_budget
    score = SCORE_SURE if how in (HOW_LINKED, HOW_REFERENCE) else SCORE_AMOUNT
    for row in rows:
        cash = rnd(min(row.paid, row.residual))
        writeoff = 0.0
        if rnd(cash - row.paid) < 0:
            score = min(score, SCORE_DOUBT)
            reasons.append(_reason("remittance_no_longer_open", row.label, row.paid))
        elif row.deduction:
            deduction = rnd(min(row.deduction, row.residual - cash))
            if deduction > 0:
                if rnd(deduction - budget) <= 0:
                    writeoff = deduction
                    budget = rnd(budget - deduction)
                    reasons.append(
                        _reason(
                            "remittance_deduction",
                            deduction,
                            row.label,
                            row.deduction_reason or "-",
                        )
                    )
                else:
                    reasons.append(
                        _reason(
                            "remittance_deduction_open",
                            deduction,
                            row.label,
                            row.deduction_reason or "-",
                        )
                    )
        entries.append([row.item_id, cash, writeoff])
    credit = rnd(amount - sum(cash for _item, cash, _wo in entries))
    if credit < 0:
        score = min(score, SCORE_DOUBT)
        reasons.append(_reason("remittance_short", -credit))
        short = -credit
        for entry in reversed(entries):
            if short <= 0:
                break
            entry[2] = 0.0  # an item not paid in full: nothing written off
            take = min(entry[1], short)
            entry[1] = rnd(entry[1] - take)
            short = rnd(short - take)
        credit = 0.0
    elif credit > 0:
        reasons.append(_reason("remittance_credit", credit))
    allocations = tuple(
        (item, rnd(cash + writeoff))
        for item, cash, writeoff in entries
        if item and rnd(cash + writeoff) > 0
    )
    if not allocations:
        score = min(score, SCORE_AMBIGUOUS)
    if ambiguous:
        score = min(score, SCORE_AMBIGUOUS)
        reasons.append(_reason("remittance_ambiguous"))
    head = [_reason("remittance", name, len(rows))]
    head.append(
        _reason(_HOW_CODES[how], payment_reference)
        if how == HOW_REFERENCE
        else _reason(_HOW_CODES[how])
    )
    return matching.Proposal(
        customer_id=customer_id,
        allocations=allocations,
        kind="remittance",
        score=score,
        strength=score,
        reasons=tuple(head + reasons),
        writeoff=rnd(sum(wo for item, _cash, wo in entries if item)),
        credit=credit,
        currency=currency,
        remittance_id=remittance_id,
    )
