"""Reference extraction of the cash-application matcher (no Odoo needed)."""

import pytest

from conftest import load_engine

refs = load_engine("otc_order_to_cash", "references")


def keys(text):
    out = set()
    for span in refs.find_numbers(text):
        for prefix, groups in span.parts():
            if prefix:
                out.add(refs.skey(prefix, groups))
            out.add(refs.dkey(groups))
    return out


def test_rf_encode_and_validate():
    # the example of ISO 11649
    assert refs.rf_encode("539007547034") == "RF18539007547034"
    assert refs.rf_is_valid("RF18 5390 0754 7034")
    assert refs.rf_is_valid("rf18539007547034")
    for bad in ("RF19539007547034", "RF18539007547035", "RF18", "XX18539007547034"):
        assert not refs.rf_is_valid(bad), bad
    for ref in ("A1", "INV2026000042", "123456789012345678901"):
        assert refs.rf_is_valid(refs.rf_encode(ref))
    with pytest.raises(ValueError):
        refs.rf_encode("1234567890123456789012")


def test_find_rf_among_words_and_flags_invalid():
    found = refs.find_rf("Payment RF18 5390 0754 7034 thank you")
    assert [(f.value, f.valid) for f in found] == [("RF18539007547034", True)]
    found = refs.find_rf("Payment RF18 5390 0754 7043")
    assert len(found) == 1 and not found[0].valid
    corrections = refs.rf_corrections(found[0].value)
    assert "RF18539007547034" in corrections
    assert all(refs.rf_is_valid(c) for c in corrections)


@pytest.mark.parametrize(
    "text",
    [
        "INV/2026/00042",
        "inv/2026/42",
        "INV 2026 00042",
        "INV-2026-00042 thanks",
        "Payment INV/2026/00O42",  # letter O for zero
    ],
)
def test_number_variants_give_the_same_key(text):
    assert "INV:2026.42" in keys(text)


def test_missing_separators_keep_the_digits():
    assert "202600042" in keys("INV202600042")


def test_several_references_and_noise():
    k = keys("INV/2026/00042, INV/2026/00043 on 2026-03-15 EUR 12.50")
    assert {"INV:2026.42", "INV:2026.43"} <= k
    # the date is not read as a number
    assert not any(x.startswith("2026.3") or x == "20260315" for x in k)


def test_span_parts_drop_swallowed_numbers():
    (span,) = refs.find_numbers("INV/2026/00042 12 50")
    parts = set(span.parts())
    assert ("INV", ("2026", "00042")) in parts
    assert ("", ("12", "50")) in parts


def test_edit1_covers_typo_kinds():
    variants = refs.edit1("20260042")
    assert "20260024" in variants  # transposition
    assert "2026042" in variants  # deletion
    assert "202600042" in variants  # insertion
    assert "20261042" in variants  # substitution
    assert "20260042" not in variants
    assert refs.pad(("2026", "42"), (4, 5)) == ("2026", "00042")
    assert refs.pad(("2026", "123456"), (4, 5)) is None


def test_compact_nkey_and_rf_numbers_by_their_definitions():
    """The fast paths give what the definitions give: letters and digits as
    ``str.isalnum`` keeps them, numbers without leading zeros, ISO 7064
    letter values (A = 10 ... Z = 35)."""
    for text in (
        "RF18 5390 0754 7034",
        "de89-3704.0044 0532/0130 00",
        "Straße 12, Müller & Söhne",
        "N° ①②③ ٣٤",
        "",
        "___",
    ):
        folded = refs.fold(text)
        assert refs.compact(text) == "".join(c for c in folded if c.isalnum())
    for groups in (("0042",), ("2026", "000"), ("7", "0010", "00")):
        assert refs.nkey(groups) == ".".join(str(int(g)) for g in groups)
    for text in ("RF18", "539007547034RF18", "abcxyz09", "Z"):
        assert refs._rf_number(text) == int("".join(str(int(c, 36)) for c in text))
