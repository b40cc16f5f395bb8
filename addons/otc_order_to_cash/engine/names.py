"""Payer-name normalization and similarity for the cash-application matcher.

How it works
------------
Banks hand over the payer's name as the ordering party typed it or as the bank
abbreviated it: upper case, accents dropped or transliterated (``MUELLER`` for
``Müller``), legal forms spelled in many ways (``S.p.A.``, ``SPA``,
``GmbH``), words reordered, truncated or mistyped.  Both sides go through the
same ``normalize`` so that only the distinctive words remain:

1. ``fold``: Unicode compatibility decomposition, combining marks dropped,
   a few letters that do not decompose (``ß``, ``ø``, ``æ``...) spelled out,
   and the German transliterations ``ae``/``oe``/``ue`` folded to the bare
   vowel (applied to both sides, so ``Müller`` and ``MUELLER`` meet on
   ``muller``, and a name that really contains ``ue`` is folded alike);
2. split into alphanumeric tokens; runs of one-letter tokens are joined, so
   ``S.p.A.`` becomes ``spa`` and ``B.V.`` ``bv``, which then are legal forms;
3. legal forms and filler words (``gmbh``, ``ltd``, ``sarl``, ``and``...)
   are dropped, unless nothing would remain.

``similarity`` compares two normalized names and returns the best of four
measures in [0, 1], each catching one kind of variation:

* token-sort ratio: ``difflib`` ratio of the sorted tokens (word order);
* trigram Dice coefficient of the sorted tokens (typos anywhere);
* token alignment: every token of the shorter name is paired with its best
  unused partner (equal, one typo, a prefix abbreviation such as ``intl`` or
  a truncated ``suppl``, an initial), averaged over the shorter name and
  slightly discounted for the extra words of the longer one;
* acronym: one name is the initials of the other (``ABC`` for ``Alpha Beta
  Cars``).

``NameIndex`` finds the customers whose name resembles a payer name without
comparing it with every customer: an inverted index from token trigrams to
customers gives the few customers sharing most trigrams (trigrams shared by
too many customers are skipped, they carry no information), plus exact
acronym hits; only those are scored with ``similarity``.  Results are cached
per normalized name because the same payers come back on every statement.
"""

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache

LEGAL_FORMS = frozenset(
    """
    ag gmbh mbh kg ohg ug gbr kgaa ev ek eg se co cie company corp corporation
    inc incorporated llc llp lp ltd limited plc pty pte bhd sa sas sasu sarl eurl
    sci snc sca scs spa srl sapa snc scarl bv nv vof cv ab oy oyj as asa aps
    kft zrt bt sro doo dd ad ood eood sl slu sau scp ltda cia sc zoo sp spzoo
    """.split()
)
FILLERS = frozenset({"and", "und", "et", "the", "y", "e", "en"})

_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "ı": "i",
        "&": " and ",
    }
)
_TRANSLIT = re.compile(r"(?<=[a-z])([aou])e")
_TOKEN = re.compile(r"[a-z0-9]+")


def fold(text):
    """Lower-case ASCII form of ``text`` (accents and transliterations folded)."""
    text = (text or "").translate(_SPECIAL)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _TRANSLIT.sub(r"\1", text.lower())


_FORM_SYNONYMS = {"limited": "ltd", "incorporated": "inc", "corporation": "corp"}


@lru_cache(maxsize=100_000)
def _tokens(name):
    """Tokens of a name (a tuple; cached, names come back on every statement)."""
    raw = _TOKEN.findall(fold(name))
    tokens = []
    run = []
    for tok in raw + [""]:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            tokens.append("".join(run))
            run = []
        if tok:
            tokens.append(tok)
    return tuple(tokens)


def legal_forms(name):
    """Legal-form words of a name (``{"sarl"}``), synonyms unified."""
    return frozenset(
        _FORM_SYNONYMS.get(t, t)
        for t in _tokens(name)
        if t in LEGAL_FORMS and t not in ("co", "cie", "company")
    )


def normalize(name):
    """Distinctive tokens of a person or company name, in their original order."""
    tokens = _tokens(name)
    kept = [t for t in tokens if t not in LEGAL_FORMS and t not in FILLERS]
    return tuple(kept or tokens)


def name_key(name):
    """Order-insensitive key of a name (used for learned payer names)."""
    return " ".join(sorted(normalize(name)))


def osa_distance(a, b, limit=None):
    """Damerau-Levenshtein distance (optimal string alignment variant).

    With ``limit``, returns ``limit + 1`` as soon as the distance is known to
    exceed it, which keeps the many rejected comparisons cheap.
    """
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if limit is not None and abs(la - lb) > limit:
        return limit + 1
    prev2 = None
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        ca = a[i - 1]
        best = i
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if (
                prev2 is not None
                and j > 1
                and ca == b[j - 2]
                and a[i - 2] == b[j - 1]
                and prev2[j - 2] + 1 < v
            ):
                v = prev2[j - 2] + 1
            cur[j] = v
            if v < best:
                best = v
        if limit is not None and best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[lb]


def trigrams(text):
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def dice(a, b):
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


@lru_cache(maxsize=200_000)
def _token_similarity(x, y):
    """Similarity of two tokens (cached: the same words come back in many names)."""
    if x == y:
        return 1.0
    if len(x) == 1 or len(y) == 1:
        return 0.8 if x[0] == y[0] else 0.0
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    if len(short) >= 3 and long_.startswith(short):
        return 0.85
    if len(short) >= 4:
        d = osa_distance(x, y, 2)
        if d == 1:
            return 0.9
        if d == 2 and len(short) >= 8:
            return 0.75
    return 0.0


def _alignment(a, b):
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    free = list(long_)
    total = 0.0
    for tok in short:
        best, where = 0.0, -1
        for k, other in enumerate(free):
            s = _token_similarity(tok, other)
            if s > best:
                best, where = s, k
        if where >= 0:
            free.pop(where)
        total += best
    return total / len(short) * (0.75 + 0.25 * len(short) / len(long_))


def _acronym(a, b):
    for one, many in ((a, b), (b, a)):
        if len(one) == 1 and len(many) >= 2 and 2 <= len(one[0]) <= 6:
            if one[0] == "".join(t[0] for t in many):
                return 0.9
    return 0.0


@lru_cache(maxsize=200_000)
def similarity(a, b):
    """Similarity in [0, 1] of two token tuples returned by ``normalize``.

    Cached: the same payers come back on every statement.
    """
    if not a or not b:
        return 0.0
    sa, sb = " ".join(sorted(a)), " ".join(sorted(b))
    if sa == sb:
        return 1.0
    # the cheap measures first; a costly one is skipped when its upper bound
    # cannot beat the best so far (the maximum is the same)
    best = max(dice(trigrams(sa), trigrams(sb)), _acronym(a, b))
    short, long_ = sorted((len(a), len(b)))
    if 0.75 + 0.25 * short / long_ > best:
        best = max(best, _alignment(a, b))
    matcher = SequenceMatcher(None, sa, sb, autojunk=False)
    if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
        best = max(best, matcher.ratio())
    return best


class NameIndex:
    """Customers by name, searchable by similarity without a full scan."""

    def __init__(self, max_posting_share=0.05, candidates=12):
        self._tokens = {}  # customer id -> normalized tokens
        self._forms = {}  # customer id -> legal forms
        self._postings = {}  # trigram -> list of customer ids
        self._sizes = {}  # customer id -> number of trigrams of its name
        self._acronyms = {}  # initials -> list of customer ids
        self._exact = {}  # sorted tokens -> list of customer ids
        self._cache = {}
        self._max_share = max_posting_share
        self._candidates = candidates

    def __len__(self):
        return len(self._tokens)

    def add(self, customer_id, name):
        if customer_id in self._tokens:
            return
        tokens = normalize(name)
        self._tokens[customer_id] = tokens
        self._forms[customer_id] = legal_forms(name)
        self._exact.setdefault(tuple(sorted(tokens)), []).append(customer_id)
        grams = trigrams(" ".join(sorted(tokens)))
        self._sizes[customer_id] = len(grams)
        for gram in grams:
            self._postings.setdefault(gram, []).append(customer_id)
        if len(tokens) >= 2:
            initials = "".join(t[0] for t in tokens)
            self._acronyms.setdefault(initials, []).append(customer_id)
        self._cache.clear()

    def tokens(self, customer_id):
        return self._tokens.get(customer_id, ())

    def forms(self, customer_id):
        return self._forms.get(customer_id, frozenset())

    def search(self, name, min_score=0.75):
        """``[(customer_id, similarity)]`` best first, similarity >= min_score."""
        tokens = normalize(name)
        if not tokens:
            return []
        key = (tokens, min_score)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        cap = max(50, int(len(self._tokens) * self._max_share))
        counts = Counter()
        grams = trigrams(" ".join(sorted(tokens)))
        for gram in grams:
            posting = self._postings.get(gram)
            if posting is not None and len(posting) <= cap:
                counts.update(posting)
        # Dice coefficient on trigrams: a short name that holds the query's
        # words ("Chevalier" for "CHEVALIER SARL") ranks above longer names
        # sharing as many trigrams ("Chevalier Transports"); names sharing
        # less than half the best count cannot compete
        size = len(grams)
        floor = max(counts.values(), default=0) // 2
        sizes = self._sizes
        ranked = sorted(
            (c for c, n in counts.items() if n > floor),
            key=lambda c: (-counts[c] / (size + sizes[c]), str(c)),
        )
        # namesakes first: they would tie on trigram counts and be cut off;
        # then customers named by one of the payer's words alone (the rest
        # may be a mistyped legal form, "ERUL Dupont")
        pool = self._exact.get(tuple(sorted(tokens)), [])[:20]
        if len(tokens) > 1:
            for tok in tokens:
                pool += self._exact.get((tok,), [])[:5]
        pool += ranked[: self._candidates]
        if len(tokens) == 1:
            pool += self._acronyms.get(tokens[0], [])[:5]
        scored = {}
        for cid in pool:
            s = similarity(tokens, self._tokens[cid])
            if s >= min_score:
                scored[cid] = s
        result = sorted(scored.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if len(self._cache) > 50000:
            self._cache.clear()
        self._cache[key] = result
        return result
