"""Cash application: match bank statement lines with open receivable items.

How it works
------------
The Odoo side feeds plain data: ``OpenItem`` rows (open customer invoices and
other receivable items), ``KnownPayers`` facts (payer accounts, learned payer
names and reference patterns) and a ``MatchConfig``.  ``Matcher`` indexes
the items once; ``Matcher.match(line)`` then ranks ``Proposal`` objects for
one ``StatementLine`` and ``decide`` says whether the best may be reconciled
automatically.  Once a line is applied, ``Matcher.consume`` (or ``apply``
for a whole proposal) lowers the items' residuals, and drops fully paid items
from every index, so that the next lines of the run do not propose them
again.  Lines are therefore matched in a stated order, the one the Odoo side
locks and feeds them in: statement date, then sequence, then id; the same
data gives the same result line for line, run after run (the earlier of two
payments of one invoice gets it).  Nothing here compares a line with every
item:

* references: every number an item carries (document number, payment
  reference, origin order) is parsed by ``references`` into three hash keys
  (prefix + unpadded groups, unpadded groups alone, digits as typed) and its
  RF creditor reference into a fourth; a line's text is parsed the same way,
  so one dict probe per key finds an exact reference.  When no exact hit fits
  the amount, the line's digit keys are expanded to every string at one edit
  (``references.edit1``) and probed again: typos, transposed digits, a
  missing or extra digit.  Such a typo neighbour is kept only when the
  customer is already a candidate or the amount fits it exactly (or after
  the early-payment discount): in a dense numbering, one of a hundred
  neighbours is a bank fee away by chance.  An invalid RF reference is
  corrected the same way (one edit, valid check digits, known), also when
  the text after it was swallowed or a shorter reading is valid by chance.
  A key shared by more than three items of one customer (Odoo's per-customer
  payment reference) identifies the customer, not an item.  Two adjacent
  digits swapped (``references.transpositions``), the commonest typing
  error, count as the exact number when the payer names the customer
  without namesakes and the item is that customer's only one with the exact
  amount; a swapped number that is another open invoice of another amount
  is an exact hit that does not fit, so the amount decides.
* customers: payer account (known accounts), learned payer name and learned
  reference patterns come first (they are facts, they take precedence);
  otherwise ``names.NameIndex`` finds customers whose name resembles the
  payer name; customers of referenced items get their name compared too.
  When the bank gives no payer name, the words of the label that are not
  numbers, their prefixes or payment vocabulary (``label_name``) are
  searched instead, through the same index (reason ``payer_name_label``).
* amounts are integer cents; exact amounts are found through a
  ``cents -> items`` index (also by residual minus early-payment discount),
  and per customer through a sorted list for the bank fee tolerance.

For each candidate customer the amount logic builds proposals, first with
the items the line refers to, then (when those do not fit the amount) with
the customer's other open items:

* one item: exact; early-payment discount (paid by the discount date, amount
  = residual - discount); short by a bank fee within tolerance
  (``max(abs, pct% of the amount)``) and within the write-off limit, the
  difference being written off; less than the residual (partial payment,
  the rest stays open); more (overpayment, the excess stays as customer
  credit);
* several referenced items: their total, else a combination of them, else
  oldest first until the amount runs out;
* referenced items whose total is below the amount (the payer named some
  of the invoices it pays): the referenced items plus other items of the
  customer paying the rest exactly (one item, two, or a bounded combination
  of the oldest), which keeps the full reference weight and, when unique
  with few coincidences expected, beats the overpayment reading by a clear
  margin; when the bounded search could not try everything, the
  overpayment reading loses its weight (``overpayment_unsure``);
* several unreferenced items: ``subset.find_subset`` over the customer's
  ``OLDEST_WINDOW`` oldest open items first (customers pay their oldest
  invoices first), then over more of them (bounded size, count and work);
* items with the exact amount but no customer evidence are kept as weak
  proposals, so that a suggestion exists when nothing identifies the payer
  (and so are items whose residual minus early-payment discount is the
  amount);
* nothing fits a named customer (a fee away at best): one low suggestion per
  other reading: a partial payment of the oldest item the amount does not
  cover, an overpayment of the largest item below the amount, a partial
  payment of the next oldest item.  On a line in company currency,
  combinations and these guesses use the items in company currency.

Amounts are compared in the line's foreign currency when the line and the
item both have an amount in it, otherwise in company currency; the proposal
then says which currency its amounts are in.

Chance: how telling an amount is depends on how many items could have it by
coincidence.  ``_density`` estimates the share of all items per cent around
an amount (items within ``DENSITY_PCT`` percent); a customer holding ``n``
items is expected to have ``n * density`` items at exactly the amount and
``n * density * tolerance`` within the fee tolerance by chance; ``C(n, k)``
combinations of ``k`` of its ``n`` candidate items spread over about
``2 k mean`` cents (``_subset_chance``).  "Unique" bonuses need these
expectations to stay small: a customer with hundreds of open items has an
item a fee away from almost any amount, and combinations of forty small
items hit any amount to the cent.

Scoring: a proposal's strength is the sum of its reasons' contributions
(each reason has a ``code`` in ``REASON_TEMPLATES`` and its arguments):

* customer identification, at most ``W_CUSTOMER`` (0.45): evidences with
  probabilities ``p`` (account 0.9, learned name 0.9, learned pattern 0.85,
  customer reference 0.85, name similarity 0.3 at 0.75 up to 0.9 at 1.0)
  combine as ``1 - prod(1 - p)``; each reason shows its marginal share.
  Namesakes (several customers at similarity ``NAMESAKE_SIMILARITY`` or
  more) share the name: ``p / namesakes ** NAMESAKE_DAMPING`` each, the ones
  of another legal form included; a legal form the payer spells lowers the
  similarity of customers with another form (``OTHER_LEGAL_FORM``) or none
  (``UNKNOWN_LEGAL_FORM``); when exactly one customer bears the name,
  look-alikes get ``LOOKALIKE_DAMPING`` of their evidence.  A customer is
  *identified* by a fact (account, learned name or pattern, customer
  reference) or by a name without namesakes, and no reference fits the
  amount;
* item identification, at most ``W_REFERENCE`` (0.5): exact reference 1.0,
  without its prefix 0.85, one typo 0.7, averaged over the proposal's items;
* amount: exact 0.40; discount 0.35, bank fee 0.30 (both 0.40 for an item
  referenced without typo: reference + fee within the write-off limit is
  0.9 and reconciles alone); partial or overpayment of a referenced item
  0.10; a combination of unreferenced items 0.32 (0.15 within the fee
  tolerance, 0.40 when unique and rarer than ``SUBSET_CHANCE_RARE``);
* uniqueness, when few coincidences are expected: the customer's only item
  with the amount 0.15 (``SINGLE_CHANCE_MAX``) or within the fee tolerance
  0.15 (``FEE_CHANCE_MAX``; not when a unique exact combination exists),
  the only combination 0.15 (``SUBSET_CHANCE_MAX``), the only item with the
  amount among all items 0.10;
* bank fee: a difference that is a multiple of ``ROUND_FEE`` (0.50), as bank
  tariffs are, 0.05; the only item within tolerance of an identified
  customer 0.05 (a customer named without namesakes needs the round fee:
  a name alone is what a line paying nothing from a look-alike brings too);
  the fee reading of a crowded customer (more than ``FEE_CROWD`` items or
  ``FEE_CHANCE_CROWDED`` expected within tolerance) with an odd difference
  counts 0.05 instead of 0.30: likely a coincidence, it ranks after the
  partial payment of the oldest item;
* oldest first: a unique combination among the ``OLDEST_WINDOW`` oldest
  items of an identified customer 0.05; the partial payment of the oldest
  item the amount does not cover 0.10;
* name + amount, 0.15: a name shared by several customers still identifies
  the payer when exactly one item in the whole amount index has the line's
  amount and belongs to a customer named like the payer, the payer names
  that customer fully (similarity at least ``NAMESAKE_SIMILARITY``, legal
  form not contradicted), and the number of such items expected by chance
  (items the namesakes hold times the density) stays below ``CHANCE_MAX``;
  likewise when the items of exactly one customer named like the payer
  (similarity ``SUBSET_NAME_SIMILARITY`` or more) add up to the amount
  uniquely (``subset_named``);
* against, -0.15: an amount alone (no customer evidence) while the payer's
  name or account points to another customer with confidence
  ``OTHER_PAYER_MIN`` or more (third parties quote a reference).

``score`` is the strength clipped to [0, 1].  ``decide`` auto-reconciles only
when the best score reaches ``auto_threshold`` *and* its strength exceeds the
runner-up's by ``auto_min_gap``: a reference and the exact amount, or a bank
fee, (0.9) pass alone; an identified customer plus its only item with the
exact amount, or a bank fee away, or its only combination of few items,
pass; two equally good readings never do.  Ties rank the smaller write-off,
then the older items first.  The weights were calibrated with
``benchmarks/matching_accuracy.py``.
"""

import datetime
import re
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field, replace
from math import comb

from . import learning, names, references, subset

# customer identification: at most W_CUSTOMER, evidences combined
W_CUSTOMER = 0.45
P_ACCOUNT = 0.9
P_LEARNED_NAME = 0.9
P_PATTERN = 0.85
P_CUSTOMER_REF = 0.85
NAME_MIN = 0.75  # similarity below which a name is no evidence
NAMESAKE_SIMILARITY = 0.95  # a name this close names the customer
NAMESAKE_DAMPING = 0.25  # name evidence / namesakes ** this
LOOKALIKE_DAMPING = 0.5  # name evidence of look-alikes of a named customer
OTHER_LEGAL_FORM = 0.1  # similarity lost when the payer spells another form
UNKNOWN_LEGAL_FORM = 0.02  # ... when the customer has none
# item identification: at most W_REFERENCE, by how the reference was found
W_REFERENCE = 0.5
R_EXACT = 1.0
R_NO_PREFIX = 0.85
R_TYPO = 0.7
# one key shared by more items than this names a customer, not a document
MAX_ITEMS_PER_KEY = 3
MIN_DIGITS = 5
MIN_FUZZY_DIGITS = 6
# amounts
A_EXACT = 0.40
A_DISCOUNT = 0.35
A_FEE = 0.30
A_PARTIAL = 0.10  # of a referenced item
A_OVER = 0.10  # of a referenced item
A_SUBSET = 0.32
A_SUBSET_FEE = 0.15
A_UNIQUE = 0.15
A_UNIQUE_SUBSET = 0.15
A_UNIQUE_GLOBAL = 0.10
A_UNIQUE_NAMED = 0.15
A_FEE_IDENTIFIED = 0.05
A_FEE_ROUND = 0.05
ROUND_FEE = 0.5  # bank charges are tariffs, mostly multiples of 0.50
A_FEE_CROWDED = 0.05  # an odd fee of a crowded customer
FEE_CHANCE_CROWDED = 0.5  # crowded: items a fee away expected by chance
FEE_CROWD = 2  # more items a fee away than this: crowded, whatever expected
A_PARTIAL_OLDEST = 0.10
A_OLDEST = 0.05
OLDEST_WINDOW = 10  # a customer's oldest items, for combinations
A_OTHER_PAYER = 0.15  # (negative) amount alone, payer names another customer
OTHER_PAYER_MIN = 0.5  # confidence in another customer that weakens amount-only
AMOUNT_ONLY_MAX = 5
SUBSET_MIN_CONFIDENCE = 0.25
# expected coincidences allowed for "unique" bonuses (see _density)
CHANCE_MAX = 0.01  # namesake items having the amount
SINGLE_CHANCE_MAX = 0.01  # an item of the customer with the exact amount
FEE_CHANCE_MAX = 0.1  # an item of the customer within the fee tolerance
SUBSET_CHANCE_MAX = 0.02  # a combination with the exact sum
SUBSET_CHANCE_RARE = 0.001  # ... as unlikely as an exact amount
SUBSET_NAME_SIMILARITY = 0.85  # payer name, for the only named combination
DENSITY_PCT = 10.0  # half-width of the window the amount density is taken on

EXACT, DISCOUNT, FEE, PARTIAL, OVER, NONE = (
    "exact",
    "discount",
    "fee",
    "partial",
    "overpayment",
    "none",
)
_FITS = (EXACT, DISCOUNT, FEE)
# Every reason has a stable code and arguments; ``text`` is the English
# sentence ``REASON_TEMPLATES[code] % args``.  The Odoo side renders its own
# (translated) sentence from the code and the arguments.
REASON_TEMPLATES = {
    # customer identification
    "payer_account": "payer account known",
    "payer_name_learned": "payer name learned",
    "reference_pattern": "reference pattern learned",
    "customer_reference": "customer reference found",
    "payer_name_similar": "payer name matches customer (%.2f)",
    "payer_name_label": "customer named in the label (%.2f)",
    # item identification (one code per kind of reference and way it was found)
    "invoice_number": "invoice number found",
    "invoice_number_no_prefix": "invoice number found (no prefix)",
    "invoice_number_typo": "invoice number found (1 typo)",
    "payment_reference": "payment reference found",
    "payment_reference_no_prefix": "payment reference found (no prefix)",
    "payment_reference_typo": "payment reference found (1 typo)",
    "order_reference": "order reference found",
    "order_reference_no_prefix": "order reference found (no prefix)",
    "order_reference_typo": "order reference found (1 typo)",
    "rf_reference": "RF reference found",
    "rf_reference_typo": "RF reference found (1 typo)",
    "references": "%d references found",
    # amounts
    "amount_exact": "amount exact",
    "discount": "early-payment discount (%.2f)",
    "fee": "amount within bank fee tolerance (write-off %.2f)",
    "partial": "partial payment (%.2f stays open)",
    "overpayment": "overpayment (%.2f left as customer credit)",
    "overpayment_unsure": "overpayment (%.2f), or other open items of the "
    "customer the search could not tell",
    "unique_customer_amount": "only open item of the customer with this amount",
    "fee_identified": "only item of an identified customer within the fee tolerance",
    "partial_oldest": "partial payment of the customer's oldest open item",
    "fee_round": "the difference is a round amount, as bank charges are",
    "subset": "several invoices add up to the amount",
    "subset_referenced": "referenced invoices add up to the amount",
    "subset_referenced_more": "the referenced invoices and other open items of "
    "the customer add up to the amount",
    "subset_unique": "only such combination (%.4f expected by chance)",
    "subset_oldest": "combination of the customer's oldest items",
    "subset_named": "only customer named like the payer whose items add up to the "
    "amount",
    "unique_global": "only open item with this amount",
    "payer_other_customer": "the payer's name or account points to another customer",
    "unique_named": "only item with this amount among customers named like the "
    "payer (%.4f expected by chance)",
}
# customer evidence that is a recorded fact, not a resemblance
_FACTS = (
    "payer_account",
    "payer_name_learned",
    "reference_pattern",
    "customer_reference",
)
_REF_CODES = {
    "invoice number": "invoice_number",
    "payment reference": "payment_reference",
    "order reference": "order_reference",
    "RF reference": "rf_reference",
}


@dataclass(frozen=True)
class StatementLine:
    amount: float  # company currency; > 0 for money received
    date: datetime.date | None = None
    label: str = ""
    reference: str = ""
    partner_name: str = ""
    account_number: str = ""
    amount_currency: float | None = None
    currency: str = ""  # currency of amount_currency ("" = none)
    id: object = None


@dataclass(frozen=True)
class OpenItem:
    id: object
    customer_id: object
    residual: float  # company currency
    customer_name: str = ""
    number: str = ""
    payment_ref: str = ""
    rf_ref: str = ""
    order_ref: str = ""
    currency: str = ""  # item currency when it is not the company's
    residual_currency: float | None = None  # in ``currency``
    due_date: datetime.date | None = None
    discount: float = 0.0  # early-payment discount, company currency
    discount_currency: float | None = None  # same, in ``currency``
    discount_date: datetime.date | None = None  # last day the discount may be taken


@dataclass(frozen=True)
class KnownPayers:
    accounts: dict = field(default_factory=dict)  # account/IBAN -> customer id
    names: dict = field(default_factory=dict)  # payer name -> customer id
    # (regular expression, customer id), matched case-insensitively on the text
    reference_patterns: tuple = ()


@dataclass(frozen=True)
class MatchConfig:
    fee_tolerance_abs: float = 5.0
    fee_tolerance_pct: float = 0.5  # percent of the amount due
    writeoff_limit: float = 10.0
    auto_threshold: float = 0.9
    auto_min_gap: float = 0.15
    max_subset_size: int = 5
    max_subset_candidates: int = 24
    subset_budget: int = 50_000
    max_proposals: int = 5
    suggestions: int = 3
    digits: int = 2  # currency decimals


@dataclass(frozen=True)
class Reason:
    """One piece of evidence and what it adds to a proposal's strength.

    ``code`` is a key of ``REASON_TEMPLATES`` and ``args`` its arguments;
    ``text`` is the English sentence built from them.
    """

    text: str
    contribution: float
    code: str = ""
    args: tuple = ()


def reason(code, contribution, *args):
    """``Reason`` for a code of ``REASON_TEMPLATES`` and its arguments."""
    text = REASON_TEMPLATES[code] % args if args else REASON_TEMPLATES[code]
    return Reason(text, contribution, code, tuple(args))


@dataclass(frozen=True)
class Proposal:
    """One way to apply a statement line, with its score and reasons.

    All amounts are in ``currency`` (the line's foreign currency when the
    line and every item have an amount in it, else company currency).
    ``allocations`` are the amounts applied to each item's open residual,
    oldest item first: the full residual for the ``exact``, ``fee``,
    ``discount``, ``overpayment`` and ``subset`` kinds, less for the last
    item(s) of a ``partial`` payment.  Invariant::

        sum(allocated amounts) - writeoff - discount + credit == line amount

    (the line amount being ``amount_currency`` when ``currency`` is set),
    to the cent.  ``writeoff`` is the bank fee to write off (``fee`` kinds,
    at most ``MatchConfig.writeoff_limit``), ``discount`` the early-payment
    discount granted, ``credit`` the excess left on the customer as credit.
    """

    customer_id: object
    allocations: tuple  # ((item id, amount to apply), ...)
    kind: str  # exact, discount, fee, partial, overpayment, subset, none
    score: float
    strength: float
    reasons: tuple
    writeoff: float = 0.0
    discount: float = 0.0
    credit: float = 0.0  # left on the customer as credit
    currency: str = ""  # currency of the amounts ("" = company currency)
    # where it comes from besides the matcher: a remittance advice, a stored
    # candidate being accepted (ids of the Odoo side)
    remittance_id: object = None
    suggestion_id: object = None

    @property
    def item_ids(self):
        return tuple(i for i, _a in self.allocations)


@dataclass(frozen=True)
class Decision:
    auto: bool
    proposal: Proposal | None
    suggestions: tuple
    why: str


class _Entry:
    __slots__ = (
        "item",
        "cust",
        "cents",
        "fcur",
        "fcents",
        "dcents",
        "fdcents",
        "rank",
        "keys",
    )

    def __init__(self, item, scale, rank):
        self.item = item
        self.cust = item.customer_id
        self.keys = []  # reference keys the item is indexed under
        self.cents = round(item.residual * scale)
        self.fcur = item.currency if item.residual_currency is not None else ""
        self.fcents = round(item.residual_currency * scale) if self.fcur else None
        self.dcents = round((item.discount or 0.0) * scale)
        if self.fcur:
            if item.discount_currency is not None:
                self.fdcents = round(item.discount_currency * scale)
            elif item.residual:
                self.fdcents = round(self.dcents * self.fcents / self.cents)
            else:
                self.fdcents = 0
        else:
            self.fdcents = 0
        self.rank = rank  # position in oldest-first order


class _Ctx:
    """What one line brings: amounts in cents and the evidence found so far."""

    __slots__ = (
        "line",
        "cents",
        "fcur",
        "fcents",
        "evidence",
        "hits",
        "scale",
        "spans",
        "settled",
        "named",
        "payer",
        "payer_in_label",
    )

    def __init__(self, line, scale):
        self.line = line
        self.scale = scale
        self.cents = round(line.amount * scale)
        has_fc = line.amount_currency is not None and line.currency
        self.fcur = line.currency if has_fc else ""
        self.fcents = round(line.amount_currency * scale) if has_fc else None
        self.evidence = {}  # customer -> {reason code: (p, args)}
        self.hits = {}  # entry index -> (r, reason code)
        self.spans = ()
        self.settled = False
        self.named = set()  # customers the payer name alone identifies
        # the payer's name: the bank's name field, else the words of the
        # label that are neither numbers nor payment vocabulary
        self.payer = line.partner_name or ""
        self.payer_in_label = False

    def add_evidence(self, cust, code, p, args=()):
        ev = self.evidence.setdefault(cust, {})
        old = ev.get(code)
        if old is None or p > old[0]:
            ev[code] = (p, args)

    def add_hit(self, idx, r, code):
        old = self.hits.get(idx)
        if old is None or r > old[0]:
            self.hits[idx] = (r, code)


# words of payment labels that name no one (folded, any language)
LABEL_WORDS = frozenset(
    """
    payment payments pmt paid pay invoice invoices inv rechnung rechnungen rg
    re facture factures fact fattura fatture factura factuur betaling zahlung
    virement pagamento pago transfer transferencia ueberweisung uberweisung
    sepa sct credit ct ref reference referenz nr no num number numero order
    orders auftrag bestellung commande ordine customer client kunde kd kdnr
    thanks thank you danke merci grazie gracias dank bedankt eur usd gbp chf
    for of from to and und et the our your date datum du le la les des de
    del della der die das und vom per balance solde saldo account konto
    """.split()
)


def label_name(label, spans):
    """The words of a label that may name the payer ("" when none).

    Numbers, the letters prefixing them ("INV" of "INV/2026/00042") and
    payment vocabulary are dropped; what is left is searched like a payer
    name when the bank gave none ("MUELLER BAU INV 2026 00042").
    """
    prefixes = {names.fold(s.prefix) for s in spans if s.prefix}
    words = [
        t
        for t in names._TOKEN.findall(names.fold(label or ""))
        if t not in LABEL_WORDS
        and t not in prefixes
        and not any(c.isdigit() for c in t)
    ]
    if not any(len(t) >= 3 for t in words):
        return ""
    return " ".join(words)


_UNSURE = object()  # _referenced_more: nothing found, not everything tried


def _name_p(similarity):
    if similarity < NAME_MIN:
        return 0.0
    return 0.3 + (similarity - NAME_MIN) / (1.0 - NAME_MIN) * 0.6


def _subset_chance(values, size):
    """Combinations of ``size`` of ``values`` expected on one cent by chance.

    ``C(n, size)`` sums spread over about ``2 * size * mean`` cents.
    """
    if not values or size < 1:
        return 0.0
    mean = sum(values) / len(values)
    return comb(len(values), size) / max(1.0, 2.0 * size * mean)


def _sort_key(item, position):
    due = item.due_date.toordinal() if item.due_date else 10**7
    return (due, position)


class Matcher:
    """Index of open items; ``match`` ranks proposals for a statement line."""

    def __init__(self, items, known=None, config=None):
        self.config = config or MatchConfig()
        self.known = known or KnownPayers()
        self._scale = 10**self.config.digits
        items = list(items)
        order = sorted(range(len(items)), key=lambda k: _sort_key(items[k], k))
        self._entries = [None] * len(items)
        for rank, k in enumerate(order):
            self._entries[k] = _Entry(items[k], self._scale, rank)
        self._by_id = {}
        self._by_customer = {}
        self._keys = {}
        self._widths = {}
        self._by_cents = {}
        self._by_net_cents = {}
        self._names = names.NameIndex()
        self._sorted_cache = {}
        for idx in order:
            self._index(idx)
        self._widths = {
            p: sorted(c, key=lambda w: (-c[w], w))[:3] for p, c in self._widths.items()
        }
        # all amounts, sorted: how crowded an amount is, for chance estimates
        self._all_cents = sorted(e.cents for e in self._entries if e.cents > 0)
        self._accounts = {
            references.compact(a): c for a, c in self.known.accounts.items()
        }
        self._learned = {names.name_key(n): c for n, c in self.known.names.items()}
        # a pattern of another form could stall the run on a payer's label
        self._patterns = [
            (re.compile(p, re.IGNORECASE), c)
            for p, c in self.known.reference_patterns
            if not learning.pattern_problem(p)
        ]

    def __len__(self):
        """Number of items indexed."""
        return len(self._entries)

    # indexing -------------------------------------------------------------------

    def _add_key(self, key, idx, kind):
        bucket = self._keys.setdefault(key, [])
        # the keys of one item are added in a row: a repeat is the last one
        if not bucket or bucket[-1][0] != idx:
            bucket.append((idx, kind))
            self._entries[idx].keys.append(key)

    def _index(self, idx):
        e = self._entries[idx]
        it = e.item
        self._by_id[it.id] = idx
        # oldest first; a dict so that a paid item leaves in O(1)
        self._by_customer.setdefault(e.cust, {})[idx] = None
        self._names.add(e.cust, it.customer_name)
        for text, kind in (
            (it.number, "invoice number"),
            (it.payment_ref, "payment reference"),
            (it.order_ref, "order reference"),
        ):
            if not text or (kind == "payment reference" and text == it.number):
                continue
            if text[:2].upper() == "RF" and references.rf_is_valid(text):
                self._add_key("R" + references.compact(text), idx, "RF reference")
                continue
            parsed = references.parse_number(text)
            if parsed is None:
                continue
            prefix, groups = parsed
            self._add_key("S" + references.skey(prefix, groups), idx, kind)
            if len(groups) >= 2:
                self._add_key("N" + references.nkey(groups), idx, kind)
            digits = references.dkey(groups)
            if len(digits) >= MIN_DIGITS:
                self._add_key("D" + digits, idx, kind)
            counter = self._widths.setdefault(prefix, {})
            widths = tuple(len(g) for g in groups)
            counter[widths] = counter.get(widths, 0) + 1
        if it.rf_ref:
            self._add_key("R" + references.compact(it.rf_ref), idx, "RF reference")
        self._index_amounts(idx)

    def _amount_keys(self, e):
        """[(index, key)] of the amount indexes an entry is filed under."""
        out = []
        if e.cents > 0:
            out.append((self._by_cents, e.cents))
        if e.fcur and e.fcents:
            out.append((self._by_cents, (e.fcur, e.fcents)))
        if e.dcents:
            out.append((self._by_net_cents, e.cents - e.dcents))
            if e.fcur and e.fdcents:
                out.append((self._by_net_cents, (e.fcur, e.fcents - e.fdcents)))
        return out

    def _index_amounts(self, idx):
        for index, key in self._amount_keys(self._entries[idx]):
            index.setdefault(key, []).append(idx)

    def _unindex_amounts(self, idx):
        e = self._entries[idx]
        for index, key in self._amount_keys(e):
            bucket = index.get(key)
            if bucket and idx in bucket:
                bucket.remove(idx)
                if not bucket:
                    del index[key]
        if e.cents > 0:
            k = bisect_left(self._all_cents, e.cents)
            if k < len(self._all_cents) and self._all_cents[k] == e.cents:
                del self._all_cents[k]
        self._sorted_cache.pop((e.cust, ""), None)
        if e.fcur:
            self._sorted_cache.pop((e.cust, e.fcur), None)

    # public API -------------------------------------------------------------------

    def item(self, item_id):
        """The open item as it stands now (residual reduced by ``consume``)."""
        idx = self._by_id.get(item_id)
        return None if idx is None else self._entries[idx].item

    def consume(self, item_id, amount=None, amount_currency=None):
        """Reduce an item's open residual after a line was applied to it.

        ``amount`` is in company currency, ``amount_currency`` in the item's
        currency (foreign-currency items); give either or both, the missing
        one is taken in proportion.  An item with nothing left (or a negative
        rest) leaves every index, so that later lines of the same run never
        propose it; a partly paid item stays with its new residual and loses
        its early-payment discount (a discount is for a full payment).  Costs
        a few dict operations per reference key of the item, no re-index.
        Returns the residual left in company currency (0.0 when none), or
        None for an unknown (or already consumed) item.
        """
        idx = self._by_id.get(item_id)
        if idx is None:
            return None
        e = self._entries[idx]
        scale = self._scale
        if amount is None and amount_currency is None:
            raise ValueError("consume needs amount or amount_currency")
        if amount is None:
            amount_c = (
                round(e.cents * amount_currency * scale / e.fcents)
                if (e.fcur and e.fcents)
                else round(amount_currency * scale)
            )
        else:
            amount_c = round(amount * scale)
        cents = e.cents - amount_c
        fcents = None
        if e.fcur:
            if amount_currency is not None:
                fcents = e.fcents - round(amount_currency * scale)
            else:
                fcents = round(e.fcents * cents / e.cents) if e.cents else 0
        self._unindex_amounts(idx)
        if cents <= 0 or (e.fcur and fcents <= 0):
            self._drop(idx)
            return 0.0
        e.cents, e.dcents, e.fdcents = cents, 0, 0
        if e.fcur:
            e.fcents = fcents
        e.item = replace(
            e.item,
            residual=cents / scale,
            residual_currency=fcents / scale if e.fcur else e.item.residual_currency,
            discount=0.0,
            discount_currency=None,
            discount_date=None,
        )
        self._index_amounts(idx)
        if cents > 0:
            insort(self._all_cents, cents)
        return cents / scale

    def apply(self, proposal):
        """``consume`` every allocation of an applied proposal."""
        for item_id, amount in proposal.allocations:
            if proposal.currency:
                self.consume(item_id, amount_currency=amount)
            else:
                self.consume(item_id, amount)

    def _drop(self, idx):
        e = self._entries[idx]
        for key in e.keys:
            bucket = self._keys.get(key)
            if bucket is None:
                continue
            bucket[:] = [b for b in bucket if b[0] != idx]
            if not bucket:
                del self._keys[key]
        mine = self._by_customer.get(e.cust)
        if mine is not None:
            mine.pop(idx, None)
            if not mine:
                del self._by_customer[e.cust]
        del self._by_id[e.item.id]
        self._entries[idx] = None

    def match(self, line):
        """Ranked proposals (best first) for one ``StatementLine``."""
        ctx = _Ctx(line, self._scale)
        if ctx.cents <= 0:
            return []
        text = f"{line.label or ''} {line.reference or ''}"
        self._known_facts(ctx, text)
        self._references(ctx, text)
        if not ctx.payer:
            ctx.payer = label_name(line.label, ctx.spans)
            ctx.payer_in_label = bool(ctx.payer)
        self._names_evidence(ctx)
        ctx.settled = self._hit_fits(ctx, exact_only=True)
        if not ctx.settled and not self._hit_fits(ctx):
            self._fuzzy_references(ctx, text)
        proposals = []
        customers = set(ctx.evidence)
        customers.update(self._entries[i].cust for i in ctx.hits)
        for cust in sorted(customers, key=str):
            proposals.extend(self._customer_proposals(ctx, cust))
        proposals.extend(self._amount_only(ctx, customers))
        proposals = self._named_unique(ctx, proposals)
        proposals = self._named_unique_subset(ctx, proposals)
        return self._rank(proposals)

    def decide(self, proposals):
        return decide(proposals, self.config)

    def match_and_decide(self, line):
        proposals = self.match(line)
        return proposals, decide(proposals, self.config)

    # evidence ---------------------------------------------------------------------

    def _known_facts(self, ctx, text):
        line = ctx.line
        if line.account_number:
            cust = self._accounts.get(references.compact(line.account_number))
            if cust is not None:
                ctx.add_evidence(cust, "payer_account", P_ACCOUNT)
        if line.partner_name and self._learned:
            cust = self._learned.get(names.name_key(line.partner_name))
            if cust is not None:
                ctx.add_evidence(cust, "payer_name_learned", P_LEARNED_NAME)
        if self._patterns:
            cap = learning.PATTERN_TEXT_MAX
            texts = ((line.label or "")[:cap], (line.reference or "")[:cap])
            for regex, cust in self._patterns:
                if any(regex.search(t) for t in texts if t):
                    ctx.add_evidence(cust, "reference_pattern", P_PATTERN)

    def _lookup(self, ctx, key, r, suffix=""):
        bucket = self._keys.get(key)
        if not bucket:
            return
        # Odoo's per-customer payment reference is on all of its invoices
        shared = len(bucket) > 1 and all(k == "payment reference" for _i, k in bucket)
        if len(bucket) > MAX_ITEMS_PER_KEY or shared:
            custs = {self._entries[i].cust for i, _k in bucket}
            if len(custs) == 1:
                ctx.add_evidence(custs.pop(), "customer_reference", P_CUSTOMER_REF)
            return
        for idx, kind in bucket:
            ctx.add_hit(idx, r, _REF_CODES[kind] + suffix)

    def _references(self, ctx, text):
        rfs = references.find_rf(text)
        for rf in rfs:
            n = len(ctx.hits) + len(ctx.evidence)
            candidates = rf.others
            if rf.valid:
                self._lookup(ctx, "R" + rf.value, R_EXACT)
            else:
                candidates = (rf.value, *rf.others)
            for candidate in candidates:
                if len(candidate) < 6 or len(ctx.hits) + len(ctx.evidence) > n:
                    break
                for value in references.rf_corrections(candidate):
                    self._lookup(ctx, "R" + value, R_TYPO, "_typo")
        skip = [(rf.start, rf.end) for rf in rfs]
        ctx_spans = references.find_numbers(text, skip)
        for span in ctx_spans:
            for prefix, groups in span.parts():
                digits = references.dkey(groups)
                if prefix:
                    self._lookup(ctx, "S" + references.skey(prefix, groups), R_EXACT)
                if len(digits) >= MIN_DIGITS + 1 and len(groups) >= 2:
                    self._lookup(
                        ctx, "N" + references.nkey(groups), R_NO_PREFIX, "_no_prefix"
                    )
                if len(digits) >= MIN_DIGITS:
                    r = R_EXACT if prefix else R_NO_PREFIX
                    self._lookup(ctx, "D" + digits, r, "" if prefix else "_no_prefix")
        ctx.spans = ctx_spans

    def _fuzzy_references(self, ctx, text):
        seen = set()
        for span in ctx.spans:
            for prefix, groups in span.parts():
                digits = references.dkey(groups)
                forms = {digits}
                for widths in self._widths.get(prefix, ()):
                    padded = references.pad(groups, widths)
                    if padded:
                        forms.add(references.dkey(padded))
                for form in forms:
                    if len(form) < MIN_FUZZY_DIGITS or form in seen:
                        continue
                    seen.add(form)
                    if form != digits:
                        self._lookup(
                            ctx, "D" + form, R_EXACT if prefix else R_NO_PREFIX
                        )
                    swaps = references.transpositions(form)
                    for variant in references.edit1(form):
                        bucket = self._keys.get("D" + variant)
                        if bucket and len(bucket) <= MAX_ITEMS_PER_KEY:
                            for idx, kind in bucket:
                                if not self._keep_fuzzy(ctx, idx):
                                    continue
                                r = R_TYPO
                                if variant in swaps and self._sure_swap(ctx, idx):
                                    r = R_EXACT
                                ctx.add_hit(idx, r, _REF_CODES[kind] + "_typo")

    def _sure_swap(self, ctx, idx):
        """Two swapped digits are as sure as the number itself when the
        payer names the customer (no namesake) and the item is its only one
        with the exact amount: the commonest typing error, and nothing else
        of that customer fits."""
        e = self._entries[idx]
        if e.cust not in ctx.named or self._classify(ctx, [idx])[0] != EXACT:
            return False
        key = (ctx.fcur, ctx.fcents) if self._scheme(ctx, [idx]) else ctx.cents
        same = [
            i for i in self._by_cents.get(key, ()) if self._entries[i].cust == e.cust
        ]
        return len(same) == 1

    def _keep_fuzzy(self, ctx, idx):
        # a one-edit neighbourhood of a dense numbering holds dozens of real
        # numbers: keep only those the customer or the amount confirms (the
        # exact amount or a discount: among a hundred neighbours, one is
        # often a bank fee away by chance)
        e = self._entries[idx]
        if e.cust in ctx.evidence:
            return True
        return self._classify(ctx, [idx])[0] in (EXACT, DISCOUNT)

    def _names_evidence(self, ctx):
        name = ctx.payer
        if not name:
            return
        if any("payer_name_learned" in ev for ev in ctx.evidence.values()):
            return  # a learned fact beats any resemblance
        tokens = names.normalize(name)
        strong = any(
            "payer_account" in ev for ev in ctx.evidence.values()
        ) or self._hit_fits(ctx, exact_only=True)
        found = {} if strong else dict(self._names.search(name, NAME_MIN))
        customers = set(ctx.evidence) | {self._entries[i].cust for i in ctx.hits}
        for cust in customers:
            if cust not in found:
                found[cust] = names.similarity(tokens, self._names.tokens(cust))
        # a legal form the payer spelled out and the customer does not have
        # tells namesakes apart ("Michel SAS" is not "Michel SARL")
        forms = names.legal_forms(name)
        raw = dict(found)
        if forms:
            for cust, sim in found.items():
                theirs = self._names.forms(cust)
                if theirs and not forms & theirs:
                    found[cust] = sim - OTHER_LEGAL_FORM
                elif not theirs:  # unconfirmed: ranks after the same form
                    found[cust] = sim - UNKNOWN_LEGAL_FORM
        # namesakes ("Michel SAS", "Michel SARL"): a name shared by several
        # customers identifies none of them well when it is all there is
        # (a referenced item already says which one)
        namesakes = sum(1 for sim in found.values() if sim >= NAMESAKE_SIMILARITY)
        damp = (
            1.0 / namesakes**NAMESAKE_DAMPING if namesakes > 1 and not ctx.hits else 1.0
        )
        for cust, sim in found.items():
            # namesakes of another legal form are damped as well: they must
            # not outweigh the namesakes of the payer's legal form
            p = _name_p(sim) * (damp if raw[cust] >= NAMESAKE_SIMILARITY else 1.0)
            if namesakes == 1 and sim < NAMESAKE_SIMILARITY:
                # one customer bears the payer's name: a look-alike is less
                # likely the payer than its resemblance alone says
                p *= LOOKALIKE_DAMPING
            if p:
                ctx.add_evidence(cust, "payer_name_similar", p, (sim,))
            if sim >= NAMESAKE_SIMILARITY and namesakes == 1:
                ctx.named.add(cust)

    def _hit_fits(self, ctx, exact_only=False):
        for idx, (r, _t) in ctx.hits.items():
            if exact_only and r < R_EXACT:
                continue
            if self._classify(ctx, [idx])[0] in _FITS:
                return True
        return False

    # amounts ----------------------------------------------------------------------

    def _scheme(self, ctx, idxs):
        """Foreign currency code if all items compare in the line's currency."""
        if not ctx.fcur:
            return ""
        for i in idxs:
            if self._entries[i].fcur != ctx.fcur:
                return ""
        return ctx.fcur

    def _values(self, idxs, scheme):
        es = [self._entries[i] for i in idxs]
        if scheme:
            return [e.fcents for e in es], [e.fdcents for e in es]
        return [e.cents for e in es], [e.dcents for e in es]

    def _tolerance(self, due):
        cfg = self.config
        tol = max(
            cfg.fee_tolerance_abs * self._scale, due * cfg.fee_tolerance_pct / 100
        )
        return min(int(tol), round(cfg.writeoff_limit * self._scale))

    def _discount_ok(self, ctx, idxs):
        line_date = ctx.line.date
        for i in idxs:
            it = self._entries[i].item
            if not it.discount or not it.discount_date:
                return False
            if line_date and line_date > it.discount_date:
                return False
        return True

    def _classify(self, ctx, idxs):
        """(kind, scheme, total due, discount) of paying ``idxs`` with the line."""
        scheme = self._scheme(ctx, idxs)
        target = ctx.fcents if scheme else ctx.cents
        vals, discs = self._values(idxs, scheme)
        due = sum(vals)
        disc = sum(discs)
        if target == due:
            return EXACT, scheme, due, 0
        if disc and abs(target - (due - disc)) <= 1 and self._discount_ok(ctx, idxs):
            return DISCOUNT, scheme, due, due - target
        if 0 < due - target <= self._tolerance(due):
            return FEE, scheme, due, 0
        if target < due:
            return PARTIAL, scheme, due, 0
        return OVER, scheme, due, 0

    def _proposal(self, ctx, cust, idxs, kind, scheme, reasons, subset_kind=None):
        """Allocations for ``idxs`` (oldest first) and the proposal's scores."""
        idxs = sorted(idxs, key=lambda i: self._entries[i].rank)
        target = ctx.fcents if scheme else ctx.cents
        vals, discs = self._values(idxs, scheme)
        scale = self._scale
        allocations = []
        writeoff = discount = credit = 0
        if kind in (EXACT, FEE, DISCOUNT):
            allocations = [(self._entries[i].item.id, v) for i, v in zip(idxs, vals)]
            if kind == FEE:
                writeoff = sum(vals) - target
            elif kind == DISCOUNT:
                discount = sum(vals) - target
        elif kind == PARTIAL:
            left = target
            for i, v in zip(idxs, vals):
                if left <= 0:
                    break
                pay = min(v, left)
                allocations.append((self._entries[i].item.id, pay))
                left -= pay
        else:  # overpayment
            allocations = [(self._entries[i].item.id, v) for i, v in zip(idxs, vals)]
            credit = target - sum(vals)
        reasons = self._customer_reasons(ctx, cust) + reasons
        strength = sum(r.contribution for r in reasons)
        return Proposal(
            customer_id=cust,
            allocations=tuple((i, a / scale) for i, a in allocations),
            kind=subset_kind or kind,
            score=round(max(0.0, min(1.0, strength)), 4),
            strength=round(strength, 4),
            reasons=tuple(reasons),
            writeoff=writeoff / scale,
            discount=discount / scale,
            credit=credit / scale,
            currency=scheme,
        )

    def _confidence(self, ctx, cust):
        miss = 1.0
        for p, _args in ctx.evidence.get(cust, {}).values():
            miss *= 1.0 - p
        return 1.0 - miss

    def _customer_reasons(self, ctx, cust):
        ev = ctx.evidence.get(cust)
        if not ev:
            return []
        out = []
        miss = 1.0
        for code, (p, args) in sorted(ev.items(), key=lambda kv: (-kv[1][0], kv[0])):
            gain = W_CUSTOMER * miss * p
            miss *= 1.0 - p
            if code == "payer_name_similar" and ctx.payer_in_label:
                code = "payer_name_label"
            out.append(reason(code, round(gain, 4), *args))
        return out

    def _amount_reasons(self, kind, ctx, total, scheme, referenced, exact_ref=False):
        scale = self._scale
        target = ctx.fcents if scheme else ctx.cents
        if kind == EXACT:
            return [reason("amount_exact", A_EXACT)]
        # an item referenced without typo whose amount fits after a discount
        # or a bank fee is as telling as an exact amount: the write-off limit
        # bounds the risk
        if kind == DISCOUNT:
            weight = A_EXACT if exact_ref else A_DISCOUNT
            return [reason("discount", weight, (total - target) / scale)]
        if kind == FEE:
            weight = A_EXACT if exact_ref else A_FEE
            return [reason("fee", weight, (total - target) / scale)]
        if kind == PARTIAL:
            return [
                reason(
                    "partial",
                    A_PARTIAL if referenced else 0.0,
                    (total - target) / scale,
                )
            ]
        return [
            reason(
                "overpayment", A_OVER if referenced else 0.0, (target - total) / scale
            )
        ]

    def _ref_reason(self, ctx, idxs):
        found = [ctx.hits[i] for i in idxs if i in ctx.hits]
        if not found:
            return []
        r = sum(h[0] for h in found) / len(idxs)
        contribution = round(W_REFERENCE * r, 4)
        if len(found) == 1:
            return [reason(found[0][1], contribution)]
        return [reason("references", contribution, len(found))]

    # proposals --------------------------------------------------------------------

    def _customer_proposals(self, ctx, cust):
        refs = sorted(
            (i for i in ctx.hits if self._entries[i].cust == cust),
            key=lambda i: self._entries[i].rank,
        )
        # typo hits only count when the amount confirms them: several typo
        # neighbours of one customer must not read as a list of invoices
        exact_refs = [i for i in refs if ctx.hits[i][0] >= R_NO_PREFIX]
        props = []
        fitted = False
        for i in refs:
            kind, scheme, total, _d = self._classify(ctx, [i])
            if kind in _FITS or exact_refs == [i]:
                fitted |= kind in _FITS
                reasons = self._ref_reason(ctx, [i]) + self._amount_reasons(
                    kind, ctx, total, scheme, True, ctx.hits[i][0] >= R_NO_PREFIX
                )
                props.append(self._proposal(ctx, cust, [i], kind, scheme, reasons))
        if len(exact_refs) > 1:
            props.extend(self._referenced_set(ctx, cust, exact_refs))
            fitted = any(p.kind in _FITS or p.kind == "subset" for p in props)
        if exact_refs and not fitted:
            more = self._referenced_more(ctx, cust, exact_refs)
            if more is _UNSURE:
                props = [self._unsure_over(p, exact_refs) for p in props]
            elif more is not None:
                props.append(more)
                fitted = any(r.code == "subset_unique" for r in more.reasons)
        if not fitted:
            props.extend(self._unreferenced(ctx, cust))
        return props

    def _referenced_more(self, ctx, cust, refs):
        """The referenced items and others of the customer, paying exactly.

        A payer who names some of the invoices it pays and pays more: the
        excess is likelier other open invoices of the customer than an
        overpayment.  The rest of the amount is searched among the
        customer's other items: one item with it, any two adding up to it
        (both over all its items: a sorted list, a bisection and one pass),
        else a bounded combination of its oldest items.  A unique answer
        with few coincidences expected beats the overpayment reading of the
        referenced items by a clear margin (it keeps their reference);
        another one only ranks before it.  Returns ``_UNSURE`` when nothing
        was found but the search could not try every combination: the
        excess may still pay other items.
        """
        cfg = self.config
        size = cfg.max_subset_size - len(refs)
        kind, scheme, total, _d = self._classify(ctx, refs)
        if kind != OVER or size < 1:
            return None
        rest = (ctx.fcents if scheme else ctx.cents) - total
        named = set(refs)
        values, by_value, oldest, _local = self._customer_entries(cust, scheme)
        top = bisect_right(values, rest)
        pairs = [(v, i) for v, i in zip(values[:top], by_value[:top]) if i not in named]
        found, solutions, chance = self._rest_by_few(rest, pairs, size)
        if found is None:
            pool = [(i, v) for v, i in pairs]
            pool.sort(key=lambda p: self._entries[p[0]].rank)
            exhaustive = len(pool) <= cfg.max_subset_candidates
            pool = pool[: cfg.max_subset_candidates]
            res = subset.find_subset(
                rest, [v for _i, v in pool], max_size=size, budget=cfg.subset_budget
            )
            if res is None or not res.exact:
                exhaustive = exhaustive and (res is None or res.complete)
                return None if exhaustive or size < 3 else _UNSURE
            found = [pool[k][0] for k in res.indices]
            solutions = res.solutions if res.complete else 2
            chance = _subset_chance([v for _i, v in pool], len(found))
        reasons = self._ref_reason(ctx, refs)
        if solutions == 1 and chance <= SUBSET_CHANCE_MAX:
            reasons.append(reason("subset_referenced_more", A_SUBSET))
            reasons.append(reason("subset_unique", A_UNIQUE_SUBSET, chance))
        else:
            reasons.append(reason("subset_referenced_more", A_SUBSET_FEE))
        return self._proposal(ctx, cust, refs + found, EXACT, scheme, reasons, "subset")

    def _unsure_over(self, proposal, refs):
        """The overpayment reading of ``refs``, no longer telling."""
        ids = {self._entries[i].item.id for i in refs}
        if proposal.kind != OVER or set(proposal.item_ids) != ids:
            return proposal
        reasons = tuple(
            reason("overpayment_unsure", -A_OVER, *r.args)
            if r.code == "overpayment"
            else r
            for r in proposal.reasons
        )
        strength = sum(r.contribution for r in reasons)
        return replace(
            proposal,
            reasons=reasons,
            strength=round(strength, 4),
            score=round(max(0.0, min(1.0, strength)), 4),
        )

    def _rest_by_few(self, rest, pairs, size):
        """One item, else two, of ``pairs`` ((value, entry) by value) making
        ``rest``: (entries, solutions up to 2, coincidences expected)."""
        values = [v for v, _i in pairs]
        lo, hi = bisect_left(values, rest), bisect_right(values, rest)
        if hi > lo:
            chance = len(values) * self._density(rest)
            return [pairs[lo][1]], min(2, hi - lo), chance
        if size < 2:
            return None, 0, 0.0
        found, solutions = None, 0
        a, b = 0, len(values) - 1
        while a < b and solutions < 2:
            s = values[a] + values[b]
            if s == rest:
                solutions += 1
                found = found or [pairs[a][1], pairs[b][1]]
                a += 1
            elif s < rest:
                a += 1
            else:
                b -= 1
        if found is None:
            return None, 0, 0.0
        return found, solutions, _subset_chance(values, 2)

    def _referenced_set(self, ctx, cust, refs):
        kind, scheme, total, _d = self._classify(ctx, refs)
        if kind in _FITS or kind == OVER:
            reasons = self._ref_reason(ctx, refs) + self._amount_reasons(
                kind, ctx, total, scheme, True
            )
            return [self._proposal(ctx, cust, refs, kind, scheme, reasons)]
        found = self._subset(ctx, refs, scheme)
        if found is not None:
            chosen, exact = found
            reasons = self._ref_reason(ctx, chosen)
            reasons.append(reason("subset_referenced", A_EXACT if exact else A_FEE))
            kind = EXACT if exact else FEE
            return [self._proposal(ctx, cust, chosen, kind, scheme, reasons, "subset")]
        reasons = self._ref_reason(ctx, refs) + self._amount_reasons(
            PARTIAL, ctx, total, scheme, True
        )
        return [self._proposal(ctx, cust, refs, PARTIAL, scheme, reasons)]

    def _customer_entries(self, cust, scheme):
        key = (cust, scheme)
        cached = self._sorted_cache.get(key)
        if cached is None:
            idxs = list(self._by_customer.get(cust, ()))
            if scheme:
                idxs = [i for i in idxs if self._entries[i].fcur == scheme]
            vals = self._values(idxs, scheme)[0]
            pairs = sorted(zip(vals, idxs))
            # items in company currency, for guesses on a company-currency line
            local = [i for i in idxs if not self._entries[i].fcur]
            cached = ([v for v, _i in pairs], [i for _v, i in pairs], idxs, local)
            self._sorted_cache[key] = cached
        return cached

    def _single_fits(self, ctx, cust, scheme, values, by_value):
        """[(entry, kind)] of the customer's items the amount alone fits."""
        target = ctx.fcents if scheme else ctx.cents
        lo, hi = bisect_left(values, target), bisect_right(values, target)
        singles = [(i, EXACT) for i in by_value[lo:hi]]
        if singles:
            return singles
        net_key = (scheme, target) if scheme else target
        for i in self._by_net_cents.get(net_key, ()):
            if self._entries[i].cust == cust:
                if self._classify(ctx, [i])[0] == DISCOUNT:
                    singles.append((i, DISCOUNT))
        if singles:
            return singles
        hi = bisect_right(values, target + self._tolerance(target))
        return [(i, FEE) for i in by_value[lo:hi] if self._classify(ctx, [i])[0] == FEE]

    def _identified(self, ctx, cust, facts_only=False):
        """The customer is known by a fact or named without namesakes.

        Facts: payer account, learned payer name or reference pattern,
        customer reference.  A payer name counts (unless ``facts_only``)
        when it resembles this customer's closely (``NAMESAKE_SIMILARITY``)
        and no other's.  Not when a reference in the text fits the amount:
        that is another reading.
        """
        ev = ctx.evidence.get(cust, {})
        known = any(code in ev for code in _FACTS)
        if not facts_only:
            known = known or cust in ctx.named
        return known and not self._hit_fits(ctx)

    def _unreferenced(self, ctx, cust):
        scheme = ctx.fcur if ctx.fcur else ""
        values, by_value, oldest, local = self._customer_entries(cust, scheme)
        if scheme and not oldest:
            scheme = ""
            values, by_value, oldest, local = self._customer_entries(cust, "")
        # combinations and guesses in the line's currency: a foreign-currency
        # item paid in company currency hardly hits a sum to the cent
        if not scheme and local and not ctx.fcur:
            oldest = local
        target = ctx.fcents if scheme else ctx.cents
        singles = self._single_fits(ctx, cust, scheme, values, by_value)
        fee_only = all(kind == FEE for _i, kind in singles)
        props = []
        # an exact combination is worth showing next to items a fee away; not
        # worth the search for a weakly identified customer or when a
        # reference already settles the line.  The customer's oldest items
        # first (customers pay their oldest invoices first), then more.
        found = None
        strong = self._confidence(ctx, cust) >= SUBSET_MIN_CONFIDENCE
        if fee_only and len(oldest) > 1 and strong and not ctx.settled:
            found = self._oldest_subset(ctx, oldest, scheme)
            if found is not None and (found[1] or not singles):
                props.append(
                    self._subset_proposal(ctx, cust, scheme, *found, oldest=oldest)
                )
        # a unique exact combination makes items a fee away less telling
        exact_sum = (
            found is not None
            and found[1]
            and found[2]
            and found[3] <= SUBSET_CHANCE_MAX
        )
        # the more items the customer has, the likelier one of them is near
        # any amount by chance: expected number of such items
        density = len(values) * self._density(target)
        fee_chance = density * (self._tolerance(target) + 1) if fee_only else 0.0
        if len(singles) == 1 and not (fee_only and exact_sum):
            if fee_only:
                unique = fee_chance <= FEE_CHANCE_MAX
            else:
                unique = density <= SINGLE_CHANCE_MAX
        else:
            unique = False
        round_fee = round(ROUND_FEE * self._scale)
        for i, kind in singles:
            _k, sch, total, _d = self._classify(ctx, [i])
            reasons = self._amount_reasons(kind, ctx, total, sch, False)
            is_round = kind == FEE and (total - target) % round_fee == 0
            if is_round:
                reasons.append(reason("fee_round", A_FEE_ROUND))
            elif kind == FEE and (
                fee_chance > FEE_CHANCE_CROWDED or len(singles) > FEE_CROWD
            ):
                # a customer with items a fee away from about any amount: an
                # odd difference is likely a coincidence, less telling than
                # a partial payment of the oldest item
                reasons = [replace(reasons[0], contribution=A_FEE_CROWDED)]
            if unique:
                reasons.append(reason("unique_customer_amount", A_UNIQUE))
                if kind == FEE and self._identified(ctx, cust, facts_only=True):
                    reasons.append(reason("fee_identified", A_FEE_IDENTIFIED))
                elif kind == FEE and is_round and self._identified(ctx, cust):
                    # a payer name alone (a line paying nothing from a
                    # look-alike company brings one too) needs the round fee
                    reasons.append(reason("fee_identified", A_FEE_IDENTIFIED))
            props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
        if (singles and not fee_only) or exact_sum:
            return props
        return props + self._guesses(ctx, cust, scheme, values, by_value, oldest)

    def _guesses(self, ctx, cust, scheme, values, by_value, oldest):
        """Nothing fits exactly (a fee away at best): low suggestions.

        Ranked after the fee readings, one per other reading: a partial
        payment of the oldest item the amount does not cover (customers pay
        their oldest invoices first), an overpayment of the largest item
        below the amount, a partial payment of the next oldest larger item;
        else the oldest item.  ``oldest`` may be restricted to the items in
        company currency, ``by_value`` is not.
        """
        target = ctx.fcents if scheme else ctx.cents
        larger = []
        for i in oldest:
            if self._values([i], scheme)[0][0] > target:
                larger.append(i)
                if len(larger) == 2:
                    break
        below = []
        local_only = not scheme and len(oldest) < len(by_value)
        for k in range(bisect_left(values, target) - 1, -1, -1):
            if not (local_only and self._entries[by_value[k]].fcur):
                below.append(by_value[k])
                break
        picks = larger[:1] + below + larger[1:]
        picks = picks[: max(2, self.config.suggestions)] or oldest[:1]
        props = []
        for n, i in enumerate(picks):
            kind, sch, total, _d = self._classify(ctx, [i])
            reasons = self._amount_reasons(kind, ctx, total, sch, False)
            if n == 0 and kind == PARTIAL:
                reasons.append(reason("partial_oldest", A_PARTIAL_OLDEST))
            props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
        return props

    def _oldest_subset(self, ctx, oldest, scheme):
        """``_subset`` over the oldest items, then over more of them."""
        window = oldest[:OLDEST_WINDOW]
        found = self._subset(ctx, window, scheme, unique=True)
        if (found is None or not found[1]) and len(oldest) > len(window):
            wider = self._subset(ctx, oldest, scheme, unique=True)
            if wider is not None and (wider[1] or found is None):
                found = wider
        return found

    def _subset_proposal(
        self, ctx, cust, scheme, chosen, exact_sum, unique, chance, oldest=()
    ):
        weight = A_SUBSET if exact_sum else A_SUBSET_FEE
        if exact_sum and unique and chance <= SUBSET_CHANCE_RARE:
            # as unlikely by chance as an exact amount: as telling
            weight = A_EXACT
        reasons = [reason("subset", weight)]
        # a unique sum means little when many combinations were possible:
        # the bonus needs few coincidences expected (few, large items)
        if unique and chance <= SUBSET_CHANCE_MAX:
            reasons.append(reason("subset_unique", A_UNIQUE_SUBSET, chance))
            if self._oldest_of_known(ctx, cust, chosen, oldest):
                reasons.append(reason("subset_oldest", A_OLDEST))
        kind = EXACT if exact_sum else FEE
        return self._proposal(ctx, cust, chosen, kind, scheme, reasons, "subset")

    def _oldest_of_known(self, ctx, cust, chosen, oldest):
        """All ``chosen`` among the oldest items of an identified customer.

        Customers settle their oldest invoices first; a unique exact sum
        among the oldest few of a customer known by account, learned facts
        or an unshared name leaves little room for coincidence.
        """
        if not self._identified(ctx, cust):
            return False
        head = set(oldest[:OLDEST_WINDOW])
        return all(i in head for i in chosen)

    def _subset(self, ctx, idxs, scheme, unique=False):
        """Best combination of ``idxs`` (oldest first) paying the amount.

        Returns ``(chosen, exact)``, with ``unique`` ``(chosen, exact,
        unique, chance)``: ``unique`` when the exact sum is the only one and
        the search was complete, ``chance`` the number of combinations of
        that size expected to hit the amount to the cent by coincidence
        (``_subset_chance``).
        """
        cfg = self.config
        target = ctx.fcents if scheme else ctx.cents
        tol = self._tolerance(target)
        pool = []
        for i in sorted(idxs, key=lambda i: self._entries[i].rank):
            v = self._values([i], scheme)[0][0]
            if 0 < v <= target + tol:
                pool.append((i, v))
                if len(pool) >= cfg.max_subset_candidates:
                    break
        if len(pool) < 2:
            return None
        res = subset.find_subset(
            target,
            [v for _i, v in pool],
            max_size=cfg.max_subset_size,
            tolerance=tol,
            budget=cfg.subset_budget,
        )
        if res is None or len(res.indices) < 2:
            return None
        chosen = [pool[k][0] for k in res.indices]
        if unique:
            only = res.exact and res.solutions == 1 and res.complete
            chance = _subset_chance([v for _i, v in pool], len(chosen))
            return chosen, res.exact, only, chance
        return chosen, res.exact

    def _amount_only(self, ctx, known_customers):
        keys = [ctx.cents]
        if ctx.fcur:
            keys.insert(0, (ctx.fcur, ctx.fcents))
        props = []
        # the payer's name or account points to another customer: an amount
        # alone is then a weaker guess (third parties quote a reference)
        other = max((self._confidence(ctx, c) for c in known_customers), default=0)
        against = (
            [reason("payer_other_customer", -A_OTHER_PAYER)]
            if other >= OTHER_PAYER_MIN
            else []
        )
        for key in keys:
            bucket = self._by_cents.get(key, [])
            fresh = [i for i in bucket if self._entries[i].cust not in known_customers]
            unique = len(bucket) == 1
            for i in fresh[:AMOUNT_ONLY_MAX]:
                cust = self._entries[i].cust
                kind, sch, total, _d = self._classify(ctx, [i])
                if kind != EXACT:
                    continue
                reasons = self._amount_reasons(kind, ctx, total, sch, False)
                if unique:
                    reasons.append(reason("unique_global", A_UNIQUE_GLOBAL))
                reasons += against
                self._name_for(ctx, cust)
                props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
            if props:
                break
        # an early-payment discount taken by an unidentified payer is the next
        # most telling reading (an exact amount elsewhere may be a coincidence)
        keys = [ctx.cents] + ([(ctx.fcur, ctx.fcents)] if ctx.fcur else [])
        for key in keys:
            bucket = self._by_net_cents.get(key, [])
            fresh = [i for i in bucket if self._entries[i].cust not in known_customers]
            for i in fresh[:AMOUNT_ONLY_MAX]:
                kind, sch, total, _d = self._classify(ctx, [i])
                if kind != DISCOUNT:
                    continue
                cust = self._entries[i].cust
                reasons = self._amount_reasons(kind, ctx, total, sch, False)
                reasons += against
                self._name_for(ctx, cust)
                props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
        return props

    def _density(self, cents):
        """Share of all items whose amount is exactly ``cents``, estimated.

        Taken as the number of items within ``DENSITY_PCT`` percent of the
        amount per cent of that window, over the number of items.
        """
        if not self._all_cents:
            return 0.0
        width = max(1, int(cents * DENSITY_PCT / 100))
        lo = bisect_left(self._all_cents, cents - width)
        hi = bisect_right(self._all_cents, cents + width)
        return (hi - lo) / (2 * width + 1) / len(self._all_cents)

    def _named_unique_subset(self, ctx, proposals):
        """Credit the only customer named like the payer whose items add up.

        Namesakes share the payer name's evidence (damped); when the items
        of exactly one of them add up to the amount, uniquely and with few
        coincidences expected, the combination tells them apart, as the
        only named item with the amount does (``_named_unique``).
        """
        if not ctx.payer:
            return proposals
        hits = [
            k
            for k, p in enumerate(proposals)
            if p.kind == "subset" and any(r.code == "subset_unique" for r in p.reasons)
        ]
        named = [
            k
            for k in hits
            if ctx.evidence.get(proposals[k].customer_id, {}).get(
                "payer_name_similar", (0, (0.0,))
            )[1][0]
            >= SUBSET_NAME_SIMILARITY
        ]
        if (
            len(named) != 1
            or len({p.customer_id for p in map(proposals.__getitem__, hits)}) != 1
        ):
            return proposals
        k = named[0]
        p = proposals[k]
        extra = reason("subset_named", A_UNIQUE_NAMED)
        strength = p.strength + extra.contribution
        proposals[k] = replace(
            p,
            reasons=p.reasons + (extra,),
            strength=round(strength, 4),
            score=round(max(0.0, min(1.0, strength)), 4),
        )
        return proposals

    def _named_unique(self, ctx, proposals):
        """Credit the only exact-amount item among customers named like the payer.

        A name shared by several customers identifies none of them (the
        namesake damping), but when exactly one item in the whole index has
        the line's amount *and* belongs to a customer whose name resembles
        the payer's, the pair name + amount identifies it.  The count runs
        over the global amount index, so namesakes the name search did not
        return are counted as well; similarity is taken without the legal
        form penalty, so that the count errs towards "not unique".
        """
        name = ctx.payer
        if not name:
            return proposals
        tokens = names.normalize(name)
        keys = [ctx.cents]
        if ctx.fcur:
            keys.append((ctx.fcur, ctx.fcents))
        named = {}
        for key in keys:
            for i in self._by_cents.get(key, ()):
                cust = self._entries[i].cust
                sim = names.similarity(tokens, self._names.tokens(cust))
                if sim >= NAME_MIN:
                    named[i] = sim
        if len(named) != 1:
            return proposals
        ((idx, sim),) = named.items()
        # the payer must name this customer fully: a name that only shares a
        # word ("Moreau" in "Lambert Moreau") or spells another legal form
        # fits too many companies outside the open items
        forms = names.legal_forms(name)
        theirs = self._names.forms(self._entries[idx].cust)
        if forms and theirs and not forms & theirs:
            sim -= OTHER_LEGAL_FORM
        if sim < NAMESAKE_SIMILARITY:
            return proposals
        # the more items the namesakes hold, and the more crowded the amount,
        # the likelier one of them has it by chance (a line paying nothing,
        # a third party with a look-alike name)
        pool = {c for c, _s in self._names.search(name, NAME_MIN)}
        pool.add(self._entries[idx].cust)
        held = sum(len(self._by_customer.get(c, ())) for c in pool)
        chance = held * self._density(ctx.cents)
        if chance > CHANCE_MAX:
            return proposals
        item_id = self._entries[idx].item.id
        named_reason = reason("unique_named", A_UNIQUE_NAMED, chance)
        out = []
        for p in proposals:
            if p.kind == EXACT and p.item_ids == (item_id,):
                strength = p.strength + named_reason.contribution
                p = replace(
                    p,
                    reasons=p.reasons + (named_reason,),
                    strength=round(strength, 4),
                    score=round(max(0.0, min(1.0, strength)), 4),
                )
            out.append(p)
        return out

    def _name_for(self, ctx, cust):
        name = ctx.payer
        if not name or cust in ctx.evidence:
            return
        sim = names.similarity(names.normalize(name), self._names.tokens(cust))
        p = _name_p(sim)
        if p:
            ctx.add_evidence(cust, "payer_name_similar", p, (sim,))

    def _rank(self, proposals):
        proposals.sort(
            key=lambda p: (
                -p.strength,
                len(p.allocations),
                p.writeoff,  # the smallest bank fee first
                [self._entries[self._by_id[i]].rank for i in p.item_ids],
            )
        )
        out, seen = [], set()
        for p in proposals:
            key = (p.customer_id, tuple(sorted(map(str, p.item_ids))), p.kind)
            if key in seen:
                continue
            seen.add(key)
            out.append(p)
            if len(out) >= self.config.max_proposals:
                break
        return out


def decide(proposals, config=None):
    """Auto-reconcile the best proposal or keep the top ones as suggestions."""
    config = config or MatchConfig()
    if not proposals:
        return Decision(False, None, (), "no candidate")
    best = proposals[0]
    top = tuple(proposals[: config.suggestions])
    if best.score < config.auto_threshold:
        return Decision(False, None, top, "best score below the threshold")
    if len(proposals) > 1:
        gap = best.strength - proposals[1].strength
        if gap < config.auto_min_gap:
            return Decision(False, None, top, "second candidate too close")
    return Decision(True, best, top, "confident match")
