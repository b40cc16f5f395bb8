"""Bounded subset-sum for payments that settle several open items at once.

How it works
------------
A customer pays one amount for several invoices without listing them.  The
question "which of its open items add up to the amount?" is subset-sum,
exponential in general, so it is bounded on three sides:

* the caller passes at most ``max_items`` candidate values (the customer's
  oldest open items not larger than the amount) in *preference order*;
* a solution has at most ``max_size`` items;
* ``budget`` caps the number of partial sums enumerated, so that a customer
  with hundreds of small items cannot stall a statement import.  The cap is
  an operation count, not a clock, so results never depend on machine load.

Meet in the middle: the values are split into two halves; every subset of
each half with at most ``max_size`` items and a sum not above the target
(plus tolerance) is enumerated size by size, the right half kept as
``sum -> best subset`` plus a sorted list of sums.  Each left subset then
looks up the complement: by hash for an exact total, by bisection for a total
short of the target by at most ``tolerance`` (bank fees).  With halves of 12
and 5 items at most that is ~1,600 subsets per half instead of 2**24.

Among the solutions the best one is, in this order: exact before within
tolerance, fewest items, smallest difference, then the lexicographically
smallest index tuple, i.e. the oldest items since indices follow preference
order.  That makes the answer deterministic.  ``solutions`` counts distinct
exact solutions up to 2, so the caller can tell a unique combination from an
ambiguous one; ``complete`` is False when the budget stopped the search.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class SubsetResult:
    indices: tuple  # positions in the values passed, ascending
    total: int
    exact: bool
    solutions: int  # distinct exact solutions seen, capped at 2
    complete: bool


def _enumerate(values, offset, limit, max_size, budget):
    """Subsets of ``values`` with sum <= limit: ({sum: (size, idx)}, counts, used)."""
    best = {0: (0, ())}
    counts = {0: 1}
    level = [(0, ())]
    used = 0
    for _size in range(1, max_size + 1):
        nxt = []
        for total, idx in level:
            start = idx[-1] - offset + 1 if idx else 0
            for k in range(start, len(values)):
                s = total + values[k]
                if s > limit:
                    continue
                used += 1
                if used > budget:
                    return best, counts, used, False
                cand = idx + (k + offset,)
                nxt.append((s, cand))
                counts[s] = min(2, counts.get(s, 0) + 1)
                old = best.get(s)
                if old is None or (len(cand), cand) < old:
                    best[s] = (len(cand), cand)
        if not nxt:
            break
        level = nxt
    return best, counts, used, True


def find_subset(target, values, max_size=5, tolerance=0, budget=100_000):
    """Best subset of ``values`` (positive ints) summing to ``target``.

    A total in ``[target, target + tolerance]`` is accepted when no exact
    one exists (the payer bore a fee).  Returns a ``SubsetResult`` or None.
    """
    if target <= 0 or not values or max_size < 1:
        return None
    limit = target + max(0, tolerance)
    half = len(values) // 2
    left_vals, right_vals = values[:half], values[half:]
    right, right_counts, used, complete = _enumerate(
        right_vals, half, limit, max_size, budget
    )
    left, left_counts, used_left, complete_left = _enumerate(
        left_vals, 0, limit, max_size, max(0, budget - used)
    )
    complete = complete and complete_left
    right_sums = sorted(right)
    best_key = None
    best = None
    solutions = 0
    for lsum, (lsize, lidx) in sorted(left.items()):
        need = target - lsum
        hit = right.get(need)
        if hit is not None and lsize + hit[0] <= max_size and lsize + hit[0] > 0:
            solutions = min(2, solutions + left_counts[lsum] * right_counts[need])
            idx = tuple(sorted(lidx + hit[1]))
            key = (0, len(idx), 0, idx)
            if best_key is None or key < best_key:
                best_key, best = key, (idx, target)
        if tolerance <= 0:
            continue
        lo = bisect_left(right_sums, need + 1)
        hi = bisect_right(right_sums, need + tolerance)
        for rsum in right_sums[lo:hi]:
            rsize, ridx = right[rsum]
            if lsize + rsize > max_size or lsize + rsize == 0:
                continue
            idx = tuple(sorted(lidx + ridx))
            key = (1, len(idx), lsum + rsum - target, idx)
            if best_key is None or key < best_key:
                best_key, best = key, (idx, lsum + rsum)
    if best is None:
        return None
    return SubsetResult(best[0], best[1], best_key[0] == 0, solutions, complete)
