"""Learning from confirmed matches: what identified the customer.

How it works
------------
When a person confirms that a statement line pays a customer's items, the
line usually carries something that will identify the same payer next time,
even when the next payment names no invoice:

* the payer's account: kept in its compact form (``account_key``), the form
  the matcher looks accounts up by;
* the payer's name as the bank printed it: kept as ``names.name_key`` (order-
  and accent-insensitive, legal forms dropped), so that "MUELLER BAU" learned
  once matches "Bau Mueller GmbH" later;
* a reference pattern: the customer's own identifier in the label, e.g. its
  customer number "KDNR 104711" or "Contract C-2291". ``reference_pattern``
  looks for a number of at least ``MIN_DIGITS`` digits, preceded by a short
  keyword or long enough on its own, that is *not* part of a document the
  line paid (invoice numbers and payment references change with every
  payment and teach nothing), not a date and not an amount. It returns a
  regular expression that finds the same identifier whatever the separators
  (``KD-NR.104711``, ``kdnr 104711``), bounded so that a longer number does
  not contain it by accident.

A learned fact that would name two customers is a conflict: the Odoo side
keeps neither rather than mislead the matcher (``conflicts``).

Patterns run on labels the payer writes, so a pattern must not be able to
stall the matcher (catastrophic backtracking). ``pattern_problem`` accepts
only a safe form: at most ``MAX_PATTERN_LENGTH`` characters, no back-
references or conditional groups, no repeat inside a repeat, no alternative
inside a repeat (the sources of exponential backtracking), and at most
``MAX_OPEN_REPEATS`` open-ended repeats (``*``, ``+`` or a bound above
``OPEN_REPEAT``; with them the work per label grows as its length to that
power). The matcher applies patterns to the first ``PATTERN_TEXT_MAX``
characters of the label and of the reference, so that the work per line is
bounded. Learned patterns use bounded repeats only.
"""

import re

try:  # Python 3.11+
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser

from . import names, references

MIN_DIGITS = 4  # digits of an identifier preceded by a keyword
MIN_BARE_DIGITS = 6  # digits of an identifier standing alone
MAX_KEYWORD = 12
# words that announce a document (its number teaches nothing about the payer)
DOCUMENT_WORDS = frozenset(
    """
    INV INVOICE INVOICES RE RG RECHNUNG RECHNUNGEN FACTURE FACTURES FACT FA FAC
    FACTURA FATTURA FACTUUR NOTA BILL PAYMENT PAYMENTS PMT ZAHLUNG PAIEMENT PAGO
    PAGAMENTO BETALING SO ORDER BESTELLUNG COMMANDE PEDIDO ORDINE RF TOTAL AMOUNT
    """.split()
)
# words between a keyword and its number ("Kd-Nr. 104711")
FILLER_WORDS = frozenset("NR NO NUM NUMBER NUMMER NUMERO REF NBR N".split())
_TOKEN = re.compile(r"[A-Z]+|\d+")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")
_AMOUNT = re.compile(r"\d[\d.,' ]*[.,]\d{2}\b")
_SEP = r"[\W_]{0,3}"  # the gap ``reference_pattern`` accepts, bounded
MAX_PATTERN_LENGTH = 200
MAX_OPEN_REPEATS = 2
OPEN_REPEAT = 16  # a repeat allowing more than this is open-ended
PATTERN_TEXT_MAX = 256  # characters of a label a pattern is applied to
# problems of a pattern (``pattern_problem``)
P_SYNTAX, P_LENGTH, P_BACKREF, P_NESTED, P_OPEN = (
    "syntax",
    "length",
    "backreference",
    "nested_repeat",
    "open_repeats",
)


def account_key(account_number):
    """Compact account number (IBAN spaces and case removed), or ``""``."""
    return references.compact(account_number or "")


def name_key(payer_name):
    """Key of a payer name for learning, or ``""`` when there is no name."""
    if not payer_name or not payer_name.strip():
        return ""
    return names.name_key(payer_name)


def _masked(text):
    """Folded text with dates and amounts blanked out (same length)."""
    folded = references.fold(text or "")
    for regex in (_DATE, _AMOUNT):
        folded = regex.sub(lambda m: " " * len(m.group()), folded)
    return folded


def _document_digits(document_refs):
    digits = set()
    for ref in document_refs:
        for run in re.findall(r"\d+", references.fold(ref or "")):
            run = run.lstrip("0")
            if len(run) >= 3:
                digits.add(run)
    return digits


def reference_pattern(text, document_refs=()):
    """Regular expression of the customer's own identifier in ``text``.

    ``document_refs`` are the numbers of the documents the line paid (invoice
    numbers, payment references, orders): they are not identifiers of the
    customer. Returns ``None`` when the text holds no usable identifier.
    """
    masked = _masked(text)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(masked)]
    paid = _document_digits(document_refs)
    for pos, (tok, _start, _end) in enumerate(tokens):
        if not tok.isdigit() or len(tok) < MIN_DIGITS:
            continue
        bare = tok.lstrip("0") or "0"
        # a number the paid documents carry (whole, or glued to its year)
        if bare in paid or any(
            len(d) >= MIN_DIGITS and (d in bare or bare in d) for d in paid
        ):
            continue
        keyword, filler, back = "", False, pos - 1
        gap_end = _start
        while back >= 0:
            prev, pstart, pend = tokens[back]
            gap = masked[pend:gap_end]
            if len(gap) > 3 or gap.strip(" .:#/-") or not prev.isalpha():
                break
            if prev in FILLER_WORDS and not filler:
                filler, back, gap_end = True, back - 1, pstart
                continue
            if prev not in DOCUMENT_WORDS and 2 <= len(prev) <= MAX_KEYWORD:
                keyword = prev
            break
        if not keyword:
            if len(tok) < MIN_BARE_DIGITS:
                continue
            if pos and tokens[pos - 1][0] in DOCUMENT_WORDS:
                continue
        number = re.escape(tok.lstrip("0") or "0")
        body = f"0{{0,{OPEN_REPEAT}}}{number}(?![0-9])"
        if keyword:
            fillers = "|".join(sorted(FILLER_WORDS))
            return (
                f"(?<![A-Za-z0-9]){re.escape(keyword)}"
                f"(?:{_SEP}(?:{fillers})(?![A-Za-z]))?{_SEP}{body}"
            )
        return f"(?<![A-Za-z0-9]){body}"
    return None


def conflicts(facts):
    """Keys that name more than one customer in ``facts`` ((key, customer))."""
    owners = {}
    for key, customer in facts:
        owners.setdefault(key, set()).add(customer)
    return {key for key, customers in owners.items() if len(customers) > 1}


def _children(op, arg):
    """Sub-patterns of one parsed regex node."""
    c = _sre_constants
    if op == c.BRANCH:
        return list(arg[1])
    if op == c.SUBPATTERN:
        return [arg[-1]]
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [arg[1]]
    if getattr(c, "ATOMIC_GROUP", None) == op:
        return [arg]
    return []


def _walk(items, inside_repeat, counts):
    """Check parsed regex ``items``; returns a problem code or ``""``."""
    c = _sre_constants
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None))
    for op, arg in items:
        if op in (c.GROUPREF, c.GROUPREF_EXISTS):
            return P_BACKREF
        if op in repeats:
            _low, high, body = arg
            repeating = high is c.MAXREPEAT or high > 1
            if repeating and inside_repeat:
                return P_NESTED
            if high is c.MAXREPEAT or high > OPEN_REPEAT:
                counts[0] += 1
            children, inside = [body], inside_repeat or repeating
        else:
            if op == c.BRANCH and inside_repeat:
                return P_NESTED
            children, inside = _children(op, arg), inside_repeat
        for child in children:
            problem = _walk(child, inside, counts)
            if problem:
                return problem
    return ""


def pattern_problem(pattern):
    """``""`` when ``pattern`` has the safe form (see the module), else why not.

    The codes: ``syntax`` (not a regular expression), ``length``,
    ``backreference``, ``nested_repeat`` (a repeat or an alternative inside a
    repeat), ``open_repeats`` (more than ``MAX_OPEN_REPEATS`` open-ended
    repeats).
    """
    if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
        return P_LENGTH
    try:
        parsed = _sre_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return P_SYNTAX
    counts = [0]
    problem = _walk(parsed, False, counts)
    if problem:
        return problem
    if counts[0] > MAX_OPEN_REPEATS:
        return P_OPEN
    return ""
