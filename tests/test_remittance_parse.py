"""Remittance advice files: reading CSV and XLSX, every problem by row."""

import datetime
import io
from decimal import Decimal

import pytest

from conftest import load_engine

rem = load_engine("otc_order_to_cash", "remittance")


def codes(result):
    return [(p.row, p.code) for p in result.problems]


def csv_bytes(text, encoding="utf-8"):
    return text.encode(encoding)


def xlsx_bytes(rows, sheet="Sheet1", extra_sheet=None):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    if extra_sheet:
        workbook.add_worksheet(extra_sheet).write(0, 0, "nothing here")
    sheet_obj = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet_obj.write_datetime(
                    r, c, datetime.datetime.combine(value, datetime.time()), date_format
                )
            elif value is not None:
                sheet_obj.write(r, c, value)
    if extra_sheet:
        sheet_obj.activate()
    workbook.close()
    return buffer.getvalue()


# amounts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1234.56", ".", "1234.56"),
        ("1,234.56", ".", "1234.56"),
        ("1 234.56", ".", "1234.56"),
        ("1'234.56", ".", "1234.56"),
        ("1\u00a0234,56", ",", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("1234,5", ",", "1234.50"),
        ("12", ".", "12.00"),
        (".5", ".", "0.50"),
        ("EUR 1.234,56", ",", "1234.56"),
        ("1 234,56 €", ",", "1234.56"),
        ("$12.00", ".", "12.00"),
        ("+12.00", ".", "12.00"),
        ("1,234,567.8", ".", "1234567.80"),
        ("12.500", ".", "12.50"),
    ],
)
def test_parse_amount_accepts(text, decimal, expected):
    assert rem.parse_amount(text, decimal) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "decimal", "code"),
    [
        ("-12.00", ".", rem.E_NEGATIVE),
        ("12.00-", ".", rem.E_NEGATIVE),
        ("(12.00)", ".", rem.E_NEGATIVE),
        ("12.00 CR", ".", rem.E_NEGATIVE),
        ("\u221212.00", ".", rem.E_NEGATIVE),
        (-3, ".", rem.E_NEGATIVE),
        ("abc", ".", rem.E_BAD_AMOUNT),
        ("12,50", ".", rem.E_BAD_AMOUNT),  # comma is not a decimal separator here
        ("1.2.3", ",", rem.E_BAD_AMOUNT),  # thousands must group by three
        ("1,23,456.00", ".", rem.E_BAD_AMOUNT),
        ("12.345", ".", rem.E_DECIMALS),
        (12.345, ".", rem.E_DECIMALS),
        (True, ".", rem.E_BAD_AMOUNT),
        ("CR", ".", rem.E_BAD_AMOUNT),
    ],
)
def test_parse_amount_refuses(value, decimal, code):
    with pytest.raises(rem._AmountError) as info:
        rem.parse_amount(value, decimal)
    assert info.value.code == code


def test_parse_amount_numbers_from_spreadsheets():
    assert rem.parse_amount(1234.5) == Decimal("1234.50")
    assert rem.parse_amount(0.1 + 0.2) == Decimal("0.30")  # float noise
    assert rem.parse_amount(7) == Decimal("7.00")
    assert rem.parse_amount("1234", digits=0) == Decimal("1234")


def test_guess_decimal_votes():
    assert rem.guess_decimal(["1.234,56", "12,50"]) == ","
    assert rem.guess_decimal(["1,234.56", "12.5"]) == "."
    assert rem.guess_decimal(["1,234"]) == "."  # ambiguous: no vote, point
    assert rem.guess_decimal(["1.234.567"]) == ","  # dots group thousands
    assert rem.guess_decimal([]) == "."


# CSV ------------------------------------------------------------------------------


def test_csv_semicolon_decimal_comma_with_deductions():
    content = csv_bytes(
        "Invoice No.;Amount Paid;Deduction;Reason\n"
        "INV/2026/00001;1.234,56;;\n"
        "INV/2026/00002;95,00;5,00;damaged goods\n"
    )
    result = rem.parse(content, expected_total=1329.56)
    assert result.file_type == rem.FILE_CSV
    assert result.delimiter == ";"
    assert result.decimal == ","
    assert [(r.row, r.invoice, r.amount, r.deduction) for r in result.rows] == [
        (2, "INV/2026/00001", Decimal("1234.56"), Decimal("0")),
        (3, "INV/2026/00002", Decimal("95.00"), Decimal("5.00")),
    ]
    assert result.rows[1].deduction_reason == "damaged goods"
    assert result.total == Decimal("1329.56")
    assert result.deductions == Decimal("5.00")
    # the columns found by their usual names, as the header says them
    assert result.columns == {
        "invoice": "Invoice No.",
        "amount": "Amount Paid",
        "deduction": "Deduction",
        "deduction_reason": "Reason",
    }


def test_csv_comma_with_quoted_amounts_and_bom():
    content = csv_bytes(
        'invoice,amount\r\nINV1,"1,234.50"\r\nINV2,10\r\n', encoding="utf-8-sig"
    )
    result = rem.parse(content)
    assert result.delimiter == ","
    assert [r.amount for r in result.rows] == [Decimal("1234.50"), Decimal("10.00")]


def test_csv_tab_and_latin1_and_utf16():
    text = "Facture\tMontant\nFAC-Société-1\t12,50\n"
    for encoding in ("latin-1", "cp1252", "utf-16"):
        result = rem.parse(text.encode(encoding))
        assert result.delimiter == "\t"
        assert result.rows[0].invoice == "FAC-Société-1"
        assert result.rows[0].amount == Decimal("12.50")


def test_csv_given_delimiter_and_decimal():
    content = csv_bytes("Invoice|Amount\nINV1|1.234\n")
    mapping = rem.Mapping(delimiter="|", decimal=",")
    assert rem.parse(content, mapping).rows[0].amount == Decimal("1234.00")


def test_mapping_by_name_letter_and_index_without_header():
    content = csv_bytes("x;INV1;100.00;2.00\nx;INV2;50;\n")
    mapping = rem.Mapping(invoice="B", amount="3", deduction="d", header_row=0)
    result = rem.parse(content, mapping)
    assert [(r.row, r.invoice, r.amount, r.deduction) for r in result.rows] == [
        (1, "INV1", Decimal("100.00"), Decimal("2.00")),
        (2, "INV2", Decimal("50.00"), Decimal("0")),
    ]
    assert result.columns == {"invoice": "B", "amount": "C", "deduction": "D"}


def test_mapping_header_names_are_case_and_accent_insensitive():
    content = csv_bytes("Référence Facture,MONTANT réglé,Notes\nINV1,10,\n")
    mapping = rem.Mapping(invoice="reference facture", amount="montant regle")
    assert rem.parse(content, mapping).rows[0].invoice == "INV1"


def test_header_row_below_a_preamble():
    content = csv_bytes(
        "Remittance advice from ACME\nPayment 2026-03-01\n\nInvoice,Amount\nINV1,10\n"
    )
    result = rem.parse(content, rem.Mapping(header_row=4))
    assert [(r.row, r.invoice) for r in result.rows] == [(5, "INV1")]


def test_payment_reference_and_date_columns():
    content = csv_bytes(
        "Invoice,Amount,Payment Ref,Payment Date\n"
        "INV1,10,PAY-778,15/03/2026\n"
        "INV2,20,PAY-778,15/03/2026\n"
        "INV3,5,,\n"
    )
    result = rem.parse(content)
    assert result.payment_reference == "PAY-778"
    assert result.payment_date == datetime.date(2026, 3, 15)


def test_blank_rows_are_skipped():
    content = csv_bytes("Invoice,Amount\n\nINV1,10\n,\nINV2,5\n")
    result = rem.parse(content)
    assert [(r.row, r.invoice) for r in result.rows] == [(3, "INV1"), (5, "INV2")]


def test_multiline_quoted_field_keeps_row_numbers():
    content = csv_bytes('Invoice,Amount,Reason\nINV1,10,"two\nlines"\nINV2,abc,\n')
    result = rem.read(content)
    assert result.rows[0].deduction_reason == "two\nlines"
    assert codes(result) == [(4, rem.E_BAD_AMOUNT)]


# XLSX ----------------------------------------------------------------------------


def test_xlsx_numbers_text_and_dates():
    content = xlsx_bytes(
        [
            ["Invoice", "Amount Paid", "Deduction", "Reason", "Payment Date"],
            ["INV/2026/00001", 1234.56, None, None, datetime.date(2026, 3, 2)],
            [202600002, "95,00", 5, "freight", datetime.date(2026, 3, 2)],
        ]
    )
    result = rem.parse(content, expected_total=1329.56)
    assert result.file_type == rem.FILE_XLSX
    assert [(r.row, r.invoice, r.amount, r.deduction) for r in result.rows] == [
        (2, "INV/2026/00001", Decimal("1234.56"), Decimal("0")),
        (3, "202600002", Decimal("95.00"), Decimal("5.00")),
    ]
    assert result.payment_date == datetime.date(2026, 3, 2)


def test_xlsx_named_sheet():
    rows = [["Invoice", "Amount"], ["INV1", 10]]
    content = xlsx_bytes(rows, sheet="Remittance", extra_sheet="Cover")
    assert rem.parse(content, rem.Mapping(sheet="remittance")).rows[0].invoice == (
        "INV1"
    )
    result = rem.read(content, rem.Mapping(sheet="Payments"))
    assert codes(result) == [(0, rem.E_SHEET)]
    assert result.problems[0].args["sheets"] == "Cover, Remittance"


def test_xlsx_problems_by_row():
    content = xlsx_bytes(
        [["Invoice", "Amount"], ["INV1", -5], ["INV2", "ten"], [None, 3], ["INV1", 1]]
    )
    result = rem.read(content)
    assert codes(result) == [
        (2, rem.E_NEGATIVE),
        (3, rem.E_BAD_AMOUNT),
        (4, rem.E_NO_INVOICE),
        (5, rem.E_DUPLICATE),
    ]


def test_broken_xlsx_is_malformed():
    # reading XLSX needs openpyxl (Odoo's environment has it); without it the
    # file is refused as unsupported before its content is looked at
    pytest.importorskip("openpyxl")
    content = b"PK\x03\x04" + b"\x00" * 50
    assert codes(rem.read(content)) == [(0, rem.E_MALFORMED)]


def test_legacy_xls_is_refused():
    assert codes(rem.read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50)) == [
        (0, rem.E_LEGACY_XLS)
    ]


# problems -------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\n", "\ufeff".encode()])
def test_empty_file(content):
    assert codes(rem.read(content)) == [(0, rem.E_EMPTY)]


def test_header_only_file_has_no_rows():
    assert codes(rem.read(b"Invoice,Amount\n")) == [(0, rem.E_NO_ROWS)]


def test_unbalanced_quote_is_malformed_with_its_line():
    result = rem.read(b'Invoice,Amount\nINV1,10\n"INV2,20\n')
    assert codes(result) == [(3, rem.E_MALFORMED)]


def test_binary_garbage_is_refused():
    assert codes(rem.read(b"\x00\x01\x02garbage\x00")) == [(0, rem.E_BINARY)]


def test_missing_and_unmapped_columns():
    content = csv_bytes("Invoice,Total\nINV1,10\n")
    result = rem.read(content)
    assert codes(result) == [(0, rem.E_UNMAPPED)]
    assert result.problems[0].args == {"field": "amount", "headers": "Invoice, Total"}
    result = rem.read(content, rem.Mapping(amount="Paid"))
    assert codes(result) == [(0, rem.E_MISSING_COLUMN)]
    assert result.problems[0].args["column"] == "Paid"
    result = rem.read(content, rem.Mapping(amount="Total", deduction="F"))
    assert codes(result) == [(0, rem.E_MISSING_COLUMN)]


def test_two_fields_in_one_column():
    content = csv_bytes("Invoice,Amount\nINV1,10\n")
    result = rem.read(content, rem.Mapping(deduction="Amount"))
    assert codes(result) == [(0, rem.E_SAME_COLUMN)]


def test_header_row_beyond_the_file():
    assert codes(rem.read(b"Invoice,Amount\nINV1,10\n", rem.Mapping(header_row=5))) == [
        (0, rem.E_NO_HEADER)
    ]


def test_all_row_problems_are_collected():
    content = csv_bytes(
        "Invoice;Amount;Deduction;Payment Ref;Payment Date\n"
        "INV1;10,00;;P1;2026-03-01\n"  # fine
        "INV2;;;P1;\n"  # no amount
        ";5,00;;;\n"  # no invoice
        "inv-1;3,00;;;\n"  # INV1 again (letters and digits compared)
        "INV3;-4,00;x;;\n"  # negative amount, deduction not an amount
        "INV4;0;0;;\n"  # nothing
        "INV5;1,234;;P2;01.03.2026\n"  # too many decimals, other payment reference
        "INV6;1;;;31/02/2026\n"  # not a date
        "INV7;1;;;2026-03-02\n"  # another payment date
    )
    result = rem.read(content, expected_total=100)
    assert codes(result) == [
        (3, rem.E_NO_AMOUNT),
        (4, rem.E_NO_INVOICE),
        (5, rem.E_DUPLICATE),
        (6, rem.E_NEGATIVE),
        (6, rem.E_BAD_AMOUNT),
        (7, rem.E_NOTHING),
        (8, rem.E_DECIMALS),
        (8, rem.E_REFERENCES),
        (9, rem.E_BAD_DATE),
        (10, rem.E_DATES),
    ]
    by_row = {p.row: p for p in result.problems}
    assert by_row[5].args == {"invoice": "inv-1", "first_row": 2}
    assert by_row[10].args == {
        "date": "2026-03-02",
        "first": "2026-03-01",
        "first_row": 2,
    }
    assert result.problems[4].args == {"field": "deduction", "value": "x"}
    # rows with a problem are left out; the total is not checked on bad amounts
    assert [r.row for r in result.rows] == [2]


def test_total_must_add_up():
    content = csv_bytes("Invoice,Amount,Deduction\nINV1,10.00,1.00\nINV2,20.00,\n")
    assert rem.parse(content, expected_total=30).total == Decimal("30.00")
    result = rem.read(content, expected_total=31)
    assert codes(result) == [(0, rem.E_TOTAL)]
    assert result.problems[0].args == {
        "total": Decimal("30.00"),
        "expected": Decimal("31.00"),
        "difference": Decimal("-1.00"),
    }


def test_total_checked_even_with_other_problems():
    content = csv_bytes("Invoice,Amount\nINV1,10.00\nINV1,20.00\n")
    assert codes(rem.read(content, expected_total=40)) == [
        (3, rem.E_DUPLICATE),
        (0, rem.E_TOTAL),
    ]


def test_parse_raises_with_every_problem():
    with pytest.raises(rem.RemittanceError) as info:
        rem.parse(b"Invoice,Amount\nINV1,abc\n,2\n")
    assert [(p.row, p.code) for p in info.value.problems] == [
        (2, rem.E_BAD_AMOUNT),
        (3, rem.E_NO_INVOICE),
    ]
    assert "row 2: the amount 'abc' is not an amount" in str(info.value)


def test_too_many_rows():
    content = csv_bytes("Invoice,Amount\n" + "".join(f"INV{i},1\n" for i in range(6)))
    assert codes(rem.read(content, max_rows=5)) == [(0, rem.E_TOO_MANY_ROWS)]


def test_every_code_has_a_message():
    codes_defined = {
        value
        for name, value in vars(rem).items()
        if name.startswith("E_") and isinstance(value, str)
    }
    assert codes_defined == set(rem.MESSAGES)


def test_helpers():
    assert rem.column_letter(0) == "A"
    assert rem.column_letter(25) == "Z"
    assert rem.column_letter(26) == "AA"
    assert rem._letter_index("AB") == 27
    assert rem.invoice_key(" inv/2026-0001 ") == "INV20260001"
    assert rem.norm_header("  Invoice No. ") == "invoice no"
    assert rem.cell_text(12.0) == "12"
    assert rem.parse_date("2026-03-15 00:00:00") == datetime.date(2026, 3, 15)
    assert rem.parse_date("15.03.26") == datetime.date(2026, 3, 15)
    assert rem.parse_date("soon") is None


# streaming: a file is read row by row, only up to the limit -------------------------


def test_reading_stops_at_the_row_limit():
    # the row after the limit is broken: it is never parsed
    content = csv_bytes(
        "Invoice,Amount\n"
        + "".join(f"INV{i},1\n" for i in range(6))
        + 'INV99,"unbalanced\n'
    )
    assert codes(rem.read(content, max_rows=5)) == [(0, rem.E_TOO_MANY_ROWS)]
    assert codes(rem.read(content, max_rows=50)) == [(8, rem.E_MALFORMED)]


def test_xlsx_over_the_row_limit_is_refused():
    rows = [("Invoice", "Amount")] + [(f"INV{i}", 1) for i in range(6)]
    result = rem.read(xlsx_bytes(rows), max_rows=5)
    assert codes(result) == [(0, rem.E_TOO_MANY_ROWS)]
    assert result.problems[0].message() == "the file has more than 5 rows"


def test_default_row_limit_is_20000():
    content = csv_bytes(
        "Invoice,Amount\n" + "".join(f"INV{i},1\n" for i in range(20001))
    )
    result = rem.read(content)
    assert codes(result) == [(0, rem.E_TOO_MANY_ROWS)]
    assert result.problems[0].args == {"limit": 20000}


def wide_xlsx(rows, declared_columns=16384):
    """An XLSX whose sheet declares ``declared_columns`` columns."""
    xlsxwriter = pytest.importorskip("xlsxwriter")
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    # one formatted blank cell in the last column: the sheet's dimension
    # (A1:XFD...) then says 16,384 columns, as some exports do
    sheet.write_blank(0, declared_columns - 1, None, workbook.add_format({"bold": 1}))
    workbook.close()
    return buffer.getvalue()


def test_xlsx_declaring_16384_columns_reads_only_used_columns():
    tracemalloc = pytest.importorskip("tracemalloc")
    openpyxl = pytest.importorskip("openpyxl")
    rows = [("Invoice", "Amount")] + [(f"INV{i}", 1.5) for i in range(2000)]
    content = wide_xlsx(rows)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet.max_column == 16384  # what the file declares
    assert len(content) < 64 * 1024
    tracemalloc.start()
    try:
        result = rem.read(content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.problems
    assert len(result.rows) == 2000
    assert result.rows[-1].invoice == "INV1999"
    # padding each row to 16,384 cells took 283 MB for this file
    assert peak < 40 * 1024 * 1024, peak
    # a column beyond the data but within the declared width is there (empty)
    result = rem.read(content, rem.Mapping(deduction="XFD"))
    assert not result.problems
    assert all(row.deduction == 0 for row in result.rows)


def test_xlsx_declaring_16384_columns_over_the_limit_is_refused():
    rows = [("Invoice", "Amount")] + [(f"INV{i}", 1) for i in range(30)]
    result = rem.read(wide_xlsx(rows), max_rows=20)
    assert codes(result) == [(0, rem.E_TOO_MANY_ROWS)]
