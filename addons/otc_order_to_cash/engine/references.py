"""Reference extraction for the cash-application matcher.

How it works
------------
A bank statement line carries free text (label, payment reference) in which
the payer may have quoted one or several document numbers, typed by hand:
``INV/2026/00042``, ``inv 2026-42``, ``INV2026 0042``, ``INV/2026/00O42``
(letter O for zero), or an ISO 11649 creditor reference ``RF18 5390 0754
7034``.  This module turns such text into comparable keys; the matcher owns
the index of open items and looks the keys up.

* ``fold`` upper-cases the text and drops accents.
* ``find_rf`` finds ``RF`` + two check digits + up to 21 characters, spaces
  allowed; among the possible ends (word boundaries first, longest first) it
  keeps the first one whose mod-97 check digits are valid (``rf_is_valid``).
  When none is valid the longest candidate is returned flagged invalid, with
  the shorter word-boundary readings in ``others`` (the text after the
  reference, "thanks" or a date, may have been swallowed): the matcher then
  tries one-edit corrections that are valid *and* known.  A reading valid
  only when cut inside a group (one in 97 is, by chance) keeps the
  word-boundary readings in ``others`` too, tried when it is not known.
* ``find_numbers`` finds *spans*: an optional letter prefix followed by digit
  groups separated by at most two separator characters.  Inside a digit group
  the letters O, I and L are read as 0, 1 and 1 (only there: a group must
  contain a real digit).  Dates (``2026-03-15``, ``15.03.2026``) are blanked
  first, as they look like numbers.  Several spans are returned when a label
  quotes several documents.
* A span may have swallowed neighbouring numbers (``INV/2026/00042 12.50``),
  so ``Span.parts`` yields every run of up to four consecutive groups; only
  a run starting at the first group keeps the prefix.
* Keys of a (prefix, groups) pair: ``skey`` = prefix + groups without their
  leading zeros (``INV:2026.42``: separators and zero padding do not matter),
  ``nkey`` = the same without prefix (the payer forgot or changed it) and
  ``dkey`` = the digits as typed (``202600042``: no separators at all).
* Typos: ``edit1`` lists every string at Damerau-Levenshtein distance 1 of a
  digit key (deletion, insertion, substitution, transposition of neighbours).
  Looking those up in a hash index costs ~200 probes instead of a comparison
  with every open item.  ``pad`` re-adds the zero padding of the item
  numbering so that a typo in an unpadded number is found as well.
"""

import re
import unicodedata
from dataclasses import dataclass

_RF_RE = re.compile(r"(?<![A-Z0-9])RF ?([0-9]{2})((?: ?[A-Z0-9]){1,21})")
_GROUP = r"[0-9OIL]*[0-9][0-9OIL]*"
_SPAN_RE = re.compile(
    r"(?<![A-Z0-9])(?:([A-Z]{1,10})[ /\-_.:#]{0,2})?"
    r"(" + _GROUP + r"(?:[ /\-_.]{1,2}" + _GROUP + r")*)(?![A-Z0-9])"
)
_GROUP_SPLIT = re.compile(r"[ /\-_.]+")
_DATE_RE = re.compile(
    r"(?<![0-9A-Z/])(?:(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]"
    r"|[0-3]?[0-9][./][01]?[0-9][./](?:19|20)?[0-9]{2})(?![0-9A-Z/])"
)
_DIGIT_OF = str.maketrans("OIL", "011")
DIGITS = "0123456789"
ALNUM = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_PARTS = 4


def fold(text):
    """Upper-case ASCII form of ``text``."""
    if not text or text.isascii():
        return (text or "").upper()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


_NOT_ALNUM_ASCII = re.compile(r"[^A-Za-z0-9]+")


def compact(text):
    """Only the letters and digits of ``text``, upper case (IBANs, RF refs)."""
    folded = fold(text)
    if folded.isascii():
        # what ``str.isalnum`` keeps of ASCII text, in one pass
        return _NOT_ALNUM_ASCII.sub("", folded)
    return "".join(c for c in folded if c.isalnum())


# ISO 11649 creditor reference -------------------------------------------------


# ISO 7064 letter values: A = 10 ... Z = 35 (digits stay)
_RF_LETTERS = str.maketrans({chr(65 + k): str(10 + k) for k in range(26)})


def _rf_number(text):
    """The reference as ISO 7064 reads it, letters as two digits (upper case)."""
    return int(text.upper().translate(_RF_LETTERS))


def rf_is_valid(reference):
    """True if ``reference`` is an RF creditor reference with valid check digits."""
    if "RF" not in reference.upper():
        return False
    ref = compact(reference)
    if not re.fullmatch(r"RF[0-9]{2}[A-Z0-9]{1,21}", ref):
        return False
    return _rf_number(ref[4:] + ref[:4]) % 97 == 1


def rf_encode(reference):
    """RF creditor reference (``RFcc`` + reference) for a creditor's own reference."""
    ref = compact(reference)
    if not 1 <= len(ref) <= 21:
        raise ValueError("an RF reference holds 1 to 21 letters or digits")
    check = 98 - _rf_number(ref + "RF00") % 97
    return f"RF{check:02d}{ref}"


def rf_format(reference):
    """Print form of an RF reference: groups of four characters."""
    ref = compact(reference)
    return " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))


@dataclass(frozen=True)
class RfMatch:
    value: str  # compact form, e.g. RF18539007547034
    valid: bool
    start: int
    end: int
    # readings ending at a word boundary, longest first, to try as typos:
    # for an invalid reference the shorter ones (the text after it may have
    # been swallowed), for a reference valid only inside a group all of them
    others: tuple = ()


def find_rf(text):
    """RF references in ``text`` (already folded or not), in order."""
    text = fold(text)
    found = []
    for m in _RF_RE.finditer(text):
        body = m.group(2)
        # candidate ends: at word boundaries first (how people group RFs), longest first
        bounds = [
            k
            for k in range(len(body), 0, -1)
            if body[k - 1] != " " and (k == len(body) or body[k] == " ")
        ]
        ends = bounds + [k for k in range(len(body), 0, -1) if k not in bounds]
        chosen = None
        for k in ends:
            value = "RF" + m.group(1) + body[:k].replace(" ", "")
            if rf_is_valid(value):
                # a valid reading inside a group may be a coincidence (one in
                # 97): the word-boundary readings stay available as typos
                others = () if k in bounds else _rf_values(m, body, bounds)
                chosen = RfMatch(value, True, m.start(), m.start(2) + k, others)
                break
        if chosen is None:
            k = ends[0] if ends else len(body)
            value = "RF" + m.group(1) + body[:k].replace(" ", "")
            others = _rf_values(m, body, bounds[1:])
            chosen = RfMatch(value, False, m.start(), m.start(2) + k, others)
        found.append(chosen)
    return found


def _rf_values(m, body, ends):
    return tuple("RF" + m.group(1) + body[:k].replace(" ", "") for k in ends)


def rf_corrections(value):
    """Valid RF references at one edit of an invalid one (typo candidates)."""
    body = value[2:]
    alphabet = DIGITS if body.isdigit() else ALNUM
    return [
        "RF" + v for v in edit1(body, alphabet) if len(v) >= 3 and rf_is_valid("RF" + v)
    ]


# document numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    prefix: str
    groups: tuple  # digit strings, as typed (leading zeros kept)
    raw: str

    def parts(self):
        """(prefix, groups) for every run of up to MAX_PARTS consecutive groups."""
        n = len(self.groups)
        for i in range(n):
            for j in range(i + 1, min(n, i + MAX_PARTS) + 1):
                yield (self.prefix if i == 0 else "", self.groups[i:j])


def _spans(text):
    for m in _SPAN_RE.finditer(text):
        groups = tuple(
            g.translate(_DIGIT_OF) for g in _GROUP_SPLIT.split(m.group(2)) if g
        )
        yield Span(m.group(1) or "", groups, m.group(0).strip())


def find_numbers(text, skip=()):
    """Number spans quoted in ``text``; ``skip`` = (start, end) ranges to ignore."""
    text = fold(text)
    for start, end in skip:
        text = text[:start] + " " * (end - start) + text[end:]
    text = _DATE_RE.sub(lambda m: " " * len(m.group(0)), text)
    return list(_spans(text))


_SIMPLE_NUMBER = re.compile(r"([A-Z]{1,10})/?([0-9]+(?:/[0-9]+)*)")


def parse_number(number):
    """(prefix, groups) of an item's own number, or None if it has no digits."""
    simple = _SIMPLE_NUMBER.fullmatch(number)
    if simple is not None:  # the usual shape, "INV/2026/00042", "S00042"
        return simple.group(1), tuple(simple.group(2).split("/"))
    spans = list(_spans(fold(number)))
    if not spans:
        return None
    # a number such as "INV/2026/00042" is one span; keep the longest otherwise
    best = max(spans, key=lambda s: len("".join(s.groups)))
    return best.prefix, best.groups


def skey(prefix, groups):
    return prefix + ":" + nkey(groups)


def nkey(groups):
    """The groups' numbers without their leading zeros, dot-separated."""
    return ".".join(
        [
            (g.lstrip("0") or "0") if g.isascii() and g.isdigit() else str(int(g))
            for g in groups
        ]
    )


def dkey(groups):
    return "".join(groups)


def pad(groups, widths):
    """Groups zero-padded to ``widths`` (same count), or None if they do not fit."""
    if len(groups) != len(widths):
        return None
    out = []
    for g, w in zip(groups, widths):
        g = g.lstrip("0") or "0"
        if len(g) > w:
            return None
        out.append(g.rjust(w, "0"))
    return tuple(out)


def edit1(text, alphabet=DIGITS):
    """Every string at Damerau-Levenshtein distance exactly 1 of ``text``."""
    out = set()
    n = len(text)
    for i in range(n):
        out.add(text[:i] + text[i + 1 :])
        for c in alphabet:
            if c != text[i]:
                out.add(text[:i] + c + text[i + 1 :])
        if i + 1 < n and text[i] != text[i + 1]:
            out.add(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    for i in range(n + 1):
        for c in alphabet:
            out.add(text[:i] + c + text[i:])
    out.discard(text)
    return out


def transpositions(text):
    """The strings ``text`` becomes with two adjacent different digits swapped."""
    return {
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        for i in range(len(text) - 1)
        if text[i] != text[i + 1]
    }
