"""Cash application: match bank statement lines with open receivable items.

How it works
------------
The Odoo side feeds plain data: ``OpenItem`` rows (open customer invoices and
other receivable items), ``KnownPayers`` facts (payer accounts, learned payer
names and reference patterns) and a ``MatchConfig``.  ``Matcher`` indexes
the items once; ``Matcher.match(line)`` then ranks ``Proposal`` objects for
one ``StatementLine`` and ``decide`` says whether the best may be reconciled
automatically.  Nothing here compares a line with every item:

* references: every number an item carries (document number, payment
  reference, origin order) is parsed by ``references`` into three hash keys
  (prefix + unpadded groups, unpadded groups alone, digits as typed) and its
  RF creditor reference into a fourth; a line's text is parsed the same way,
  so one dict probe per key finds an exact reference.  When no exact hit fits
  the amount, the line's digit keys are expanded to every string at one edit
  (``references.edit1``) and probed again: typos, transposed digits, a
  missing or extra digit.  A key shared by more than three items of one
  customer (Odoo's per-customer payment reference) identifies the customer,
  not an item.
* customers: payer account (known accounts), learned payer name and learned
  reference patterns come first (they are facts, they take precedence);
  otherwise ``names.NameIndex`` finds customers whose name resembles the
  payer name; customers of referenced items get their name compared too.
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
* several unreferenced items: ``subset.find_subset`` over the customer's
  oldest open items (bounded size, count and work);
* items with the exact amount but no customer evidence are kept as weak
  proposals, so that a suggestion exists when nothing identifies the payer
  (and so are items whose residual minus early-payment discount is the
  amount);
* nothing fits a named customer: one low suggestion per reading, the oldest
  items the amount does not cover (partial payment, oldest first) and the
  largest item below the amount (overpayment).

Amounts are compared in the line's foreign currency when the line and the
item both have an amount in it, otherwise in company currency; the proposal
then says which currency its amounts are in.

Scoring: a proposal's strength is the sum of its reasons' contributions:

* customer identification, at most ``W_CUSTOMER`` (0.45): evidences with
  probabilities ``p`` (account 0.9, learned name 0.9, learned pattern 0.85,
  customer reference 0.85, name similarity 0.3 at 0.75 up to 0.9 at 1.0)
  combine as ``1 - prod(1 - p)``; each reason shows its marginal share;
* item identification, at most ``W_REFERENCE`` (0.5): exact reference 1.0,
  without its prefix 0.85, one typo 0.7, averaged over the proposal's items;
* amount: exact 0.40, discount 0.35, bank fee 0.30, partial or overpayment of
  a referenced item 0.10, a combination of unreferenced items 0.32, plus 0.15
  when the customer has no other item with that amount (0.15 for a unique
  combination of up to three items, 0.10 for an amount unique among all
  items); a unique combination of up to three of the customer's
  ``OLDEST_WINDOW`` oldest items, the customer known by a fact and no
  reference fitting the amount, adds 0.05 (customers pay oldest first).
  Combinations are only searched for customers identified with confidence
  ``SUBSET_MIN_CONFIDENCE`` or more;
* name + amount, 0.15: a name shared by several customers (damped, see
  ``NAMESAKE_DAMPING``) still identifies the payer when exactly one item in
  the whole amount index has the line's amount and belongs to a customer
  named like the payer, the payer names that customer fully (similarity at
  least ``NAMESAKE_SIMILARITY``, legal form not contradicted), and the
  number of such items expected by chance (items the namesakes hold times
  the share of items with exactly that amount, estimated from the amount's
  neighbourhood) stays below ``CHANCE_MAX``;
* bank fee isolation, 0.05: a fee reading of a customer known by a fact
  (account, learned name or pattern, customer reference) whose other items
  are all well below the amount (no partial payment or overpayment of
  another item is possible) and with no reference fitting the amount.

``score`` is the strength clipped to [0, 1].  ``decide`` auto-reconciles only
when the best score reaches ``auto_threshold`` *and* its strength exceeds the
runner-up's by ``auto_min_gap``: a reference and the exact amount (0.9) pass
alone; a customer known by account or a close name plus a single exact amount
pass; two equally good readings never do.  The weights were calibrated with
``benchmarks/matching_accuracy.py``.
"""

import datetime
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace

from . import names, references, subset

W_CUSTOMER = 0.45
W_REFERENCE = 0.5
P_ACCOUNT = 0.9
P_LEARNED_NAME = 0.9
P_PATTERN = 0.85
P_CUSTOMER_REF = 0.85
NAME_MIN = 0.75
R_EXACT = 1.0
R_NO_PREFIX = 0.85
R_TYPO = 0.7
A_EXACT = 0.40
A_DISCOUNT = 0.35
A_FEE = 0.30
A_PARTIAL = 0.10
A_OVER = 0.10
A_SUBSET = 0.32
A_SUBSET_FEE = 0.15
A_UNIQUE = 0.15
A_UNIQUE_SUBSET = 0.15
A_UNIQUE_GLOBAL = 0.10
A_UNIQUE_NAMED = 0.15
# expected number of namesake items having the amount by chance, at most
CHANCE_MAX = 0.01
DENSITY_PCT = 10.0  # half-width of the window the amount density is taken on
A_ISOLATED = 0.05
A_OLDEST = 0.05
OLDEST_WINDOW = 10  # a customer's oldest items, for combinations
ISOLATION_SHARE = 0.8  # other items above this share of the amount compete
# one key shared by more items than this names a customer, not a document
MAX_ITEMS_PER_KEY = 3
MIN_DIGITS = 5
MIN_FUZZY_DIGITS = 6
AMOUNT_ONLY_MAX = 5
SUBSET_MIN_CONFIDENCE = 0.25
NAMESAKE_SIMILARITY = 0.95
OTHER_LEGAL_FORM = 0.1
NAMESAKE_DAMPING = 0.25  # name evidence / namesakes ** this

EXACT, DISCOUNT, FEE, PARTIAL, OVER, NONE = (
    "exact",
    "discount",
    "fee",
    "partial",
    "overpayment",
    "none",
)
_FITS = (EXACT, DISCOUNT, FEE)
# customer evidence that is a recorded fact, not a resemblance
_FACTS = (
    "payer account known",
    "payer name learned",
    "reference pattern learned",
    "customer reference found",
)


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
    text: str
    contribution: float


@dataclass(frozen=True)
class Proposal:
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
    __slots__ = ("item", "cust", "cents", "fcur", "fcents", "dcents", "fdcents", "rank")

    def __init__(self, item, scale, rank):
        self.item = item
        self.cust = item.customer_id
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
    )

    def __init__(self, line, scale):
        self.line = line
        self.scale = scale
        self.cents = round(line.amount * scale)
        has_fc = line.amount_currency is not None and line.currency
        self.fcur = line.currency if has_fc else ""
        self.fcents = round(line.amount_currency * scale) if has_fc else None
        self.evidence = {}  # customer -> {reason text: p}
        self.hits = {}  # entry index -> (r, reason text)
        self.spans = ()
        self.settled = False

    def add_evidence(self, cust, text, p):
        ev = self.evidence.setdefault(cust, {})
        if p > ev.get(text, 0.0):
            ev[text] = p

    def add_hit(self, idx, r, text):
        old = self.hits.get(idx)
        if old is None or r > old[0]:
            self.hits[idx] = (r, text)


def _name_p(similarity):
    if similarity < NAME_MIN:
        return 0.0
    return 0.3 + (similarity - NAME_MIN) / (1.0 - NAME_MIN) * 0.6


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
        self._patterns = [
            (re.compile(p, re.IGNORECASE), c) for p, c in self.known.reference_patterns
        ]

    # indexing -------------------------------------------------------------------

    def _add_key(self, key, idx, kind):
        bucket = self._keys.setdefault(key, [])
        if not any(i == idx for i, _k in bucket):
            bucket.append((idx, kind))

    def _index(self, idx):
        e = self._entries[idx]
        it = e.item
        self._by_id[it.id] = idx
        self._by_customer.setdefault(e.cust, []).append(idx)
        self._names.add(e.cust, it.customer_name)
        for text, kind in (
            (it.number, "invoice number"),
            (it.payment_ref, "payment reference"),
            (it.order_ref, "order reference"),
        ):
            if not text:
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
        if e.cents > 0:
            self._by_cents.setdefault(e.cents, []).append(idx)
        if e.fcur and e.fcents:
            self._by_cents.setdefault((e.fcur, e.fcents), []).append(idx)
        if e.dcents:
            self._by_net_cents.setdefault(e.cents - e.dcents, []).append(idx)
            if e.fcur and e.fdcents:
                key = (e.fcur, e.fcents - e.fdcents)
                self._by_net_cents.setdefault(key, []).append(idx)

    # public API -------------------------------------------------------------------

    def item(self, item_id):
        idx = self._by_id.get(item_id)
        return None if idx is None else self._entries[idx].item

    def match(self, line):
        """Ranked proposals (best first) for one ``StatementLine``."""
        ctx = _Ctx(line, self._scale)
        if ctx.cents <= 0:
            return []
        text = f"{line.label or ''} {line.reference or ''}"
        self._known_facts(ctx, text)
        self._references(ctx, text)
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
                ctx.add_evidence(cust, "payer account known", P_ACCOUNT)
        if line.partner_name and self._learned:
            cust = self._learned.get(names.name_key(line.partner_name))
            if cust is not None:
                ctx.add_evidence(cust, "payer name learned", P_LEARNED_NAME)
        for regex, cust in self._patterns:
            if regex.search(text):
                ctx.add_evidence(cust, "reference pattern learned", P_PATTERN)

    def _lookup(self, ctx, key, r, suffix=""):
        bucket = self._keys.get(key)
        if not bucket:
            return
        # Odoo's per-customer payment reference is on all of its invoices
        shared = len(bucket) > 1 and all(k == "payment reference" for _i, k in bucket)
        if len(bucket) > MAX_ITEMS_PER_KEY or shared:
            custs = {self._entries[i].cust for i, _k in bucket}
            if len(custs) == 1:
                ctx.add_evidence(
                    custs.pop(), "customer reference found", P_CUSTOMER_REF
                )
            return
        for idx, kind in bucket:
            ctx.add_hit(idx, r, kind + " found" + suffix)

    def _references(self, ctx, text):
        rfs = references.find_rf(text)
        for rf in rfs:
            if rf.valid:
                self._lookup(ctx, "R" + rf.value, R_EXACT)
            else:
                for value in references.rf_corrections(rf.value):
                    self._lookup(ctx, "R" + value, R_TYPO, " (1 typo)")
        skip = [(rf.start, rf.end) for rf in rfs]
        ctx_spans = references.find_numbers(text, skip)
        for span in ctx_spans:
            for prefix, groups in span.parts():
                digits = references.dkey(groups)
                if prefix:
                    self._lookup(ctx, "S" + references.skey(prefix, groups), R_EXACT)
                if len(digits) >= MIN_DIGITS + 1 and len(groups) >= 2:
                    self._lookup(
                        ctx, "N" + references.nkey(groups), R_NO_PREFIX, " (no prefix)"
                    )
                if len(digits) >= MIN_DIGITS:
                    r = R_EXACT if prefix else R_NO_PREFIX
                    self._lookup(ctx, "D" + digits, r, "" if prefix else " (no prefix)")
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
                    for variant in references.edit1(form):
                        bucket = self._keys.get("D" + variant)
                        if bucket and len(bucket) <= MAX_ITEMS_PER_KEY:
                            for idx, kind in bucket:
                                if self._keep_fuzzy(ctx, idx):
                                    ctx.add_hit(idx, R_TYPO, kind + " found (1 typo)")

    def _keep_fuzzy(self, ctx, idx):
        # a one-edit neighbourhood of a dense numbering holds dozens of real
        # numbers: keep only those the amount or the customer confirms
        e = self._entries[idx]
        if e.cust in ctx.evidence:
            return True
        return self._classify(ctx, [idx])[0] in _FITS

    def _names_evidence(self, ctx):
        name = ctx.line.partner_name
        if not name:
            return
        if any("payer name learned" in ev for ev in ctx.evidence.values()):
            return  # a learned fact beats any resemblance
        tokens = names.normalize(name)
        strong = any(
            "payer account known" in ev for ev in ctx.evidence.values()
        ) or self._hit_fits(ctx, exact_only=True)
        found = {} if strong else dict(self._names.search(name, NAME_MIN))
        customers = set(ctx.evidence) | {self._entries[i].cust for i in ctx.hits}
        for cust in customers:
            if cust not in found:
                found[cust] = names.similarity(tokens, self._names.tokens(cust))
        # a legal form the payer spelled out and the customer does not have
        # tells namesakes apart ("Michel SAS" is not "Michel SARL")
        forms = names.legal_forms(name)
        if forms:
            for cust, sim in found.items():
                theirs = self._names.forms(cust)
                if theirs and not forms & theirs:
                    found[cust] = sim - OTHER_LEGAL_FORM
        # namesakes ("Michel SAS", "Michel SARL"): a name shared by several
        # customers identifies none of them well when it is all there is
        # (a referenced item already says which one)
        namesakes = sum(1 for sim in found.values() if sim >= NAMESAKE_SIMILARITY)
        damp = (
            1.0 / namesakes**NAMESAKE_DAMPING if namesakes > 1 and not ctx.hits else 1.0
        )
        for cust, sim in found.items():
            p = _name_p(sim) * (damp if sim >= NAMESAKE_SIMILARITY else 1.0)
            if p:
                ctx.add_evidence(cust, "payer name matches customer (%.2f)" % sim, p)

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
        for p in ctx.evidence.get(cust, {}).values():
            miss *= 1.0 - p
        return 1.0 - miss

    def _customer_reasons(self, ctx, cust):
        ev = ctx.evidence.get(cust)
        if not ev:
            return []
        out = []
        miss = 1.0
        for text, p in sorted(ev.items(), key=lambda kv: (-kv[1], kv[0])):
            gain = W_CUSTOMER * miss * p
            miss *= 1.0 - p
            out.append(Reason(text, round(gain, 4)))
        return out

    def _amount_reasons(self, kind, ctx, total, scheme, referenced):
        scale = self._scale
        target = ctx.fcents if scheme else ctx.cents
        if kind == EXACT:
            return [Reason("amount exact", A_EXACT)]
        if kind == DISCOUNT:
            text = "early-payment discount (%.2f)" % ((total - target) / scale)
            return [Reason(text, A_DISCOUNT)]
        if kind == FEE:
            text = "amount within bank fee tolerance (write-off %.2f)" % (
                (total - target) / scale
            )
            return [Reason(text, A_FEE)]
        if kind == PARTIAL:
            text = "partial payment (%.2f stays open)" % ((total - target) / scale)
            return [Reason(text, A_PARTIAL if referenced else 0.0)]
        text = "overpayment (%.2f left as customer credit)" % ((target - total) / scale)
        return [Reason(text, A_OVER if referenced else 0.0)]

    def _ref_reason(self, ctx, idxs):
        found = [ctx.hits[i] for i in idxs if i in ctx.hits]
        if not found:
            return []
        r = sum(h[0] for h in found) / len(idxs)
        texts = sorted({h[1] for h in found})
        text = (
            texts[0]
            if len(found) == 1
            else "%d references found: %s"
            % (
                len(found),
                ", ".join(texts),
            )
        )
        return [Reason(text, round(W_REFERENCE * r, 4))]

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
                    kind, ctx, total, scheme, True
                )
                props.append(self._proposal(ctx, cust, [i], kind, scheme, reasons))
        if len(exact_refs) > 1:
            props.extend(self._referenced_set(ctx, cust, exact_refs))
            fitted = any(p.kind in _FITS or p.kind == "subset" for p in props)
        if not fitted:
            props.extend(self._unreferenced(ctx, cust))
        return props

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
            reasons.append(
                Reason(
                    "referenced invoices add up to the amount",
                    A_EXACT if exact else A_FEE,
                )
            )
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
            idxs = self._by_customer.get(cust, [])
            if scheme:
                idxs = [i for i in idxs if self._entries[i].fcur == scheme]
            vals = self._values(idxs, scheme)[0]
            pairs = sorted(zip(vals, idxs))
            cached = ([v for v, _i in pairs], [i for _v, i in pairs], idxs)
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

    def _isolated(self, ctx, cust, scheme, values):
        """The customer's only item near the amount offers the only reading.

        A bank fee makes the amount inexact, and an amount a little under an
        item is also what a partial payment of a larger item, or an
        overpayment of a slightly smaller one, looks like.  The fee reading
        is safe when the customer has no other item from ``ISOLATION_SHARE``
        of the amount upwards, and no reference in the text fits the amount.
        Only for a customer known by a fact: a name alone is what a line
        paying nothing, from a look-alike company, also brings.
        """
        facts = ctx.evidence.get(cust, {})
        if not any(text in facts for text in _FACTS) or self._hit_fits(ctx):
            return False
        target = ctx.fcents if scheme else ctx.cents
        lo = bisect_left(values, int(target * ISOLATION_SHARE))
        return len(values) - lo == 1

    def _unreferenced(self, ctx, cust):
        scheme = ctx.fcur if ctx.fcur else ""
        values, by_value, oldest = self._customer_entries(cust, scheme)
        if scheme and not oldest:
            scheme = ""
            values, by_value, oldest = self._customer_entries(cust, "")
        singles = self._single_fits(ctx, cust, scheme, values, by_value)
        fee_only = all(kind == FEE for _i, kind in singles)
        props = []
        for i, kind in singles:
            _k, sch, total, _d = self._classify(ctx, [i])
            reasons = self._amount_reasons(kind, ctx, total, sch, False)
            if len(singles) == 1:
                reasons.append(
                    Reason("only open item of the customer with this amount", A_UNIQUE)
                )
                if kind == FEE and self._isolated(ctx, cust, scheme, values):
                    reasons.append(
                        Reason(
                            "no other open item of the customer the amount "
                            "could partly pay",
                            A_ISOLATED,
                        )
                    )
            props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
        if props and not fee_only:
            return props
        # an exact combination is worth showing next to items a fee away; not
        # worth the search for a weakly identified customer or when a
        # reference already settles the line
        strong = self._confidence(ctx, cust) >= SUBSET_MIN_CONFIDENCE
        if len(oldest) > 1 and strong and not ctx.settled:
            found = self._subset(ctx, oldest, scheme, unique=True)
            if found is not None and (found[1] or not props):
                prop = self._subset_proposal(ctx, cust, scheme, *found, oldest=oldest)
                props.append(prop)
                if found[1]:
                    return props
        # nothing fits exactly (a fee away at best): low suggestions, ranked
        # after the fee readings, one per other reading: a partial payment of
        # the oldest items the amount does not cover (customers pay their
        # oldest invoices first) and an overpayment of the largest item below
        # the amount; else the oldest item
        target = ctx.fcents if scheme else ctx.cents
        larger = [i for i in oldest if self._values([i], scheme)[0][0] > target]
        below = by_value[: bisect_left(values, target)]
        picks = larger[: max(1, self.config.suggestions - 1)]
        if below:
            picks.append(below[-1])
        picks = picks or oldest[:1]
        for i in picks:
            kind, sch, total, _d = self._classify(ctx, [i])
            reasons = self._amount_reasons(kind, ctx, total, sch, False)
            props.append(self._proposal(ctx, cust, [i], kind, sch, reasons))
        return props

    def _subset_proposal(self, ctx, cust, scheme, chosen, exact_sum, unique, oldest=()):
        reasons = [
            Reason(
                "several invoices add up to the amount",
                A_SUBSET if exact_sum else A_SUBSET_FEE,
            )
        ]
        if unique:
            # the fewer the items, the less likely a sum is a coincidence
            bonus = A_UNIQUE_SUBSET if len(chosen) <= 3 else A_UNIQUE_SUBSET / 3
            reasons.append(Reason("only such combination", round(bonus, 4)))
            if len(chosen) <= 3 and self._oldest_of_known(ctx, cust, chosen, oldest):
                reasons.append(
                    Reason("combination of the customer's oldest items", A_OLDEST)
                )
        kind = EXACT if exact_sum else FEE
        return self._proposal(ctx, cust, chosen, kind, scheme, reasons, "subset")

    def _oldest_of_known(self, ctx, cust, chosen, oldest):
        """All ``chosen`` among the customer's oldest items, customer a fact.

        Customers settle their oldest invoices first; a unique exact sum
        among the oldest few of a customer known by account or learned
        facts leaves little room for coincidence.  Not when a reference in
        the text fits the amount: that is another reading.
        """
        facts = ctx.evidence.get(cust, {})
        if not any(text in facts for text in _FACTS) or self._hit_fits(ctx):
            return False
        head = set(oldest[:OLDEST_WINDOW])
        return all(i in head for i in chosen)

    def _subset(self, ctx, idxs, scheme, unique=False):
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
            return chosen, res.exact, res.exact and res.solutions == 1 and res.complete
        return chosen, res.exact

    def _amount_only(self, ctx, known_customers):
        keys = [ctx.cents]
        if ctx.fcur:
            keys.insert(0, (ctx.fcur, ctx.fcents))
        props = []
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
                    reasons.append(
                        Reason("only open item with this amount", A_UNIQUE_GLOBAL)
                    )
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
        name = ctx.line.partner_name
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
        reason = Reason(
            "only item with this amount among customers named like the payer "
            "(%.4f expected by chance)" % chance,
            A_UNIQUE_NAMED,
        )
        out = []
        for p in proposals:
            if p.kind == EXACT and p.item_ids == (item_id,):
                strength = p.strength + reason.contribution
                p = replace(
                    p,
                    reasons=p.reasons + (reason,),
                    strength=round(strength, 4),
                    score=round(max(0.0, min(1.0, strength)), 4),
                )
            out.append(p)
        return out

    def _name_for(self, ctx, cust):
        name = ctx.line.partner_name
        if not name or cust in ctx.evidence:
            return
        sim = names.similarity(names.normalize(name), self._names.tokens(cust))
        p = _name_p(sim)
        if p:
            ctx.add_evidence(cust, "payer name matches customer (%.2f)" % sim, p)

    def _rank(self, proposals):
        proposals.sort(
            key=lambda p: (
                -p.strength,
                len(p.allocations),
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
