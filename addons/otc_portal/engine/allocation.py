"""What a customer pays on each document it ticked in the portal.

How it works
------------
The caller reads the customer's open documents of one company and one
currency, oldest first or not, and passes them as ``Document`` tuples:
``residual`` is what is still open on it, in whole units of the currency's
rounding (see ``validation.to_units``), always positive; ``kind`` says
whether the customer owes it (``invoice``) or is owed it (``credit_note``).
The customer's choice is a ``{document id: requested units or None}``
mapping (``None``: the whole residual) and, optionally, the ``total`` it
wants to pay now.

``allocate`` checks the choice and splits the payment:

1. every chosen id must be one of the documents given (an id of another
   customer, of a paid or cancelled document, or of nothing at all is
   refused the same way, ``not_open``, so that the answer reveals nothing);
2. a requested amount is positive and at most the document's residual;
3. at least one invoice is chosen, and credit notes are deducted whole or
   for the amount asked: the *charge* (what the payment provider collects)
   is the invoices' amounts minus the credit notes', and must be positive;
4. with a ``total`` lower than that charge, the invoices whose amount was
   not set by hand are reduced, newest due date first, so that the money
   goes to the oldest ones; an invoice reduced to nothing is left out.  The
   amounts set by hand are kept, so the total cannot go below them (minus
   the credits).  A total above the charge is refused: the portal does not
   take money that no document asked for.

The resulting ``Plan`` lists each document with the amount settled on it,
oldest due date first, and the charge.  Reconciling the payment one
document at a time with exactly these amounts (see the transaction's
``_create_payment``) leaves each document with ``residual - amount`` open.

When the transaction is created, ``allocate`` runs again on the documents
as they are then, with the planned amounts as explicit amounts: a document
paid (or partly paid) in between fails rule 1 or 2 and nothing is charged.
"""

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from .validation import InputError

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
KINDS = (INVOICE, CREDIT_NOTE)


class Document(NamedTuple):
    id: object
    kind: str
    due_date: date
    residual: int


class Line(NamedTuple):
    id: object
    kind: str
    due_date: date
    residual: int
    amount: int
    # True when the customer typed the amount (kept when the total is lowered)
    explicit: bool

    @property
    def remaining(self):
        return self.residual - self.amount


@dataclass(frozen=True)
class Plan:
    lines: tuple
    invoice_total: int
    credit_total: int
    charge: int

    def amounts(self):
        return {line.id: line.amount for line in self.lines}

    @property
    def invoices(self):
        return tuple(line for line in self.lines if line.kind == INVOICE)

    @property
    def credit_notes(self):
        return tuple(line for line in self.lines if line.kind == CREDIT_NOTE)


def _age_key(item):
    return (item.due_date, item.kind != INVOICE, str(item.id))


def _index(documents):
    by_id = {}
    for document in documents:
        document = Document(*document)
        if document.kind not in KINDS:
            raise ValueError(
                f"document {document.id!r}: unknown kind {document.kind!r}"
            )
        if document.residual <= 0:
            raise ValueError(f"document {document.id!r}: residual must be positive")
        by_id[document.id] = document
    return by_id


def _chosen_lines(by_id, selection):
    """Rules 1 and 2: the chosen documents with the amount asked on each."""
    if not selection:
        raise InputError("nothing_selected")
    unknown = [doc_id for doc_id in selection if doc_id not in by_id]
    if unknown:
        raise InputError("not_open", {"ids": unknown})
    lines = []
    for doc_id, requested in selection.items():
        document = by_id[doc_id]
        if requested is None:
            lines.append(Line(*document, document.residual, False))
            continue
        if requested <= 0:
            raise InputError("amount_not_positive", {"id": doc_id})
        if requested > document.residual:
            raise InputError(
                "amount_over_residual",
                {"id": doc_id, "amount": requested, "residual": document.residual},
            )
        lines.append(Line(*document, requested, requested != document.residual))
    return lines


def _lower_to(lines, charge, total):
    """Rule 4: reduce the invoices without a typed amount, newest first, so
    that ``charge`` comes down to ``total``."""
    if total <= 0:
        raise InputError("total_not_positive")
    if total > charge:
        raise InputError("total_over", {"total": total, "maximum": charge})
    excess = charge - total
    flexible = sorted(
        (line for line in lines if line.kind == INVOICE and not line.explicit),
        key=_age_key,
        reverse=True,
    )
    capacity = sum(line.amount for line in flexible)
    if excess > capacity:
        # Even leaving every invoice without a typed amount out, the typed
        # amounts minus the credits exceed the total.
        raise InputError(
            "total_under_fixed", {"total": total, "minimum": charge - capacity}
        )
    reduced = {}
    for line in flexible:
        if not excess:
            break
        cut = min(excess, line.amount)
        reduced[line.id] = line.amount - cut
        excess -= cut
    return [
        line._replace(amount=reduced.get(line.id, line.amount))
        for line in lines
        if reduced.get(line.id, line.amount) > 0
    ]


def allocate(documents, selection, total=None):
    """The ``Plan`` of paying ``selection`` out of ``documents`` (see module doc)."""
    lines = _chosen_lines(_index(documents), selection)
    invoice_total = sum(line.amount for line in lines if line.kind == INVOICE)
    if not invoice_total:
        raise InputError("no_invoice")
    credit_total = sum(line.amount for line in lines if line.kind == CREDIT_NOTE)
    charge = invoice_total - credit_total
    if charge <= 0:
        # Rule 3: the credit notes cover the invoices.
        raise InputError(
            "nothing_to_pay", {"invoices": invoice_total, "credits": credit_total}
        )
    if total is not None:
        lines = _lower_to(lines, charge, total)
        charge = total
    lines.sort(key=_age_key)
    return Plan(
        lines=tuple(lines),
        invoice_total=sum(line.amount for line in lines if line.kind == INVOICE),
        credit_total=credit_total,
        charge=charge,
    )
