from typing import NamedTuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.columns import account_computes, store_computed


class Settled(NamedTuple):
    """What reconciling a simple (debit, credit) pair settles, in company
    currency and in the items' currency (the same figures for items in
    company currency)."""

    debit: models.BaseModel
    credit: models.BaseModel
    amount: float
    amount_currency: float
    debit_left: float
    credit_left: float
    debit_left_currency: float
    credit_left_currency: float
    full: bool


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    otc_return_line_id = fields.Many2one(
        "otc.return.line",
        string="Return Line",
        index="btree_not_null",
        copy=False,
        readonly=True,
        groups="sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )

    # reconciliation of cash application -------------------------------------------

    @api.model
    def _otc_reconcile(self, plan):
        """Reconcile (counterpart, item) pairs: Odoo's result, set-based.

        ``plan`` lists two-item recordsets, each a counterpart just written
        by cash application followed by the open item it pays. Odoo's
        ``_reconcile_plan`` builds the partials record by record through the
        ORM (a third of an automatic run's time). Most pairs are the simple
        case it handles: both items in company currency (or in one foreign
        currency and settling each other exactly in both currencies: cash
        application books a foreign-currency invoice's counterpart at its
        booking rate), opposite signs, the same reconcilable account, neither
        touched by an earlier partial, no cash-basis taxes and no payment
        waiting on the item's entry. For
        those, ``_otc_reconcile_simple`` writes the same partials, full
        reconciles, residuals, matching numbers and (for an invoice nothing
        paid before) the invoice's residual and payment state; every
        other pair (and everything with the context key ``otc_orm_writes``,
        a person applying a few lines) goes through ``_reconcile_plan``.
        """
        if self.env.context.get("otc_orm_writes"):
            self._reconcile_plan(plan)
            return
        simple, other = self._otc_split_simple(plan)
        if other:
            self._reconcile_plan(other)
        if simple:
            self._otc_reconcile_simple(simple)

    @api.model
    def _otc_split_simple(self, plan):
        """Returns ([(debit, credit, item)] of the simple pairs, [other pairs]).

        Simple: two items of opposite signs, on the same reconcilable
        account, posted, that no partial touches yet (so Odoo's residual of
        each is its balance), each in one pair only, of a company without
        cash-basis taxes, and no payment matched to the items' entries (Odoo
        would move it to paid); both in company currency, or both in one
        foreign currency for the same amounts in both currencies (Odoo then
        reconciles in that currency for the whole balance: no exchange
        difference, nothing left). A partial payment of a foreign-currency
        item goes through Odoo (its rate rounding and exchange difference).
        """
        all_amls = self.union(*plan)
        # not the residuals: reading them would compute those of the
        # counterparts just created, which are their balances
        all_amls.fetch(
            [
                "account_id",
                "company_id",
                "currency_id",
                "company_currency_id",
                "balance",
                "amount_currency",
                "parent_state",
                "move_id",
                "date",
            ]
        )
        touched = self._otc_touched("id", all_amls.ids)
        seen = {}
        for pair in plan:
            for aml in pair:
                seen[aml] = seen.get(aml, 0) + 1
        simple, other = [], []
        for pair in plan:
            if len(pair) != 2:
                other.append(pair)
                continue
            debit, credit = pair.sorted(lambda aml: -aml.balance)
            if (
                debit.balance > 0 > credit.balance
                and debit.account_id == credit.account_id
                and debit.account_id.reconcile
                and debit.company_id.root_id == credit.company_id.root_id
                and not debit.company_id.tax_exigibility
                and self._otc_simple_currencies(debit, credit)
                and all(
                    aml.parent_state == "posted"
                    and aml.id not in touched
                    and seen[aml] == 1
                    for aml in pair
                )
            ):
                simple.append((debit, credit, pair[1]))
            else:
                other.append(pair)
        return simple, other

    @api.model
    def _otc_simple_currencies(self, debit, credit):
        """Both in company currency, or both in one foreign currency and
        settling each other exactly in both currencies."""
        company_currency = debit.company_currency_id
        if debit.currency_id != credit.currency_id:
            return False
        if debit.currency_id == company_currency:
            return all(aml.amount_currency == aml.balance for aml in (debit, credit))
        return company_currency.is_zero(
            debit.balance + credit.balance
        ) and debit.currency_id.is_zero(debit.amount_currency + credit.amount_currency)

    @api.model
    def _otc_touched(self, column, ids):
        """Values of ``column`` ("id" or "move_id") in ``ids`` of the journal
        items a partial reconciliation touches or whose entry has a payment
        matched to it: what Odoo's reconciliation and payment state would
        take into account besides the pairs."""
        self.env["account.partial.reconcile"].flush_model()
        col = SQL.identifier("aml", column)
        return {
            value
            for (value,) in self.env.execute_query(
                SQL(
                    """
                    SELECT %(col)s
                      FROM account_move_line aml
                      JOIN account_partial_reconcile part
                        ON part.debit_move_id = aml.id
                     WHERE %(col)s = ANY(%(ids)s)
                     UNION
                    SELECT %(col)s
                      FROM account_move_line aml
                      JOIN account_partial_reconcile part
                        ON part.credit_move_id = aml.id
                     WHERE %(col)s = ANY(%(ids)s)
                     UNION
                    SELECT %(col)s
                      FROM account_move_line aml
                      JOIN account_move__account_payment rel
                        ON rel.invoice_id = aml.move_id
                     WHERE %(col)s = ANY(%(ids)s)
                    """,
                    col=col,
                    ids=ids,
                )
            )
        }

    @api.model
    def _otc_reconcile_simple(self, pairs):
        """Partials, full reconciles, residuals and matching numbers of simple pairs.

        Returns the partials, written without ``create``: an extension that
        reacts to new partials overrides this method too.

        What ``_reconcile_plan`` leaves for a debit and a credit item in
        company currency that nothing reconciled before (or in one foreign
        currency, settling each other whole): one partial of the smaller
        balance and amount in currency (the debit item's entry gives its
        company when it is an invoice), a full reconcile when both residuals
        become zero,
        the residuals, and the matching number (the full reconcile's id,
        else "P" and the partial's id). The partials and full reconciles
        are inserted in one statement each, and the items' new values
        written in one more (Odoo's path updates each item three times, and
        every update of a journal item rewrites its indexes); the ORM is
        then told what changed, as after its own create and write, and
        recomputes what depends on it: the entries' amounts and payment
        states (for an invoice nothing paid before, set here as
        ``_otc_set_invoice_values`` says), the statement lines' state; not
        the invoices' due dates (nothing they depend on changed). Odoo's
        pre/post hooks run around it (an invoice that becomes paid gets
        ``_invoice_paid_hook``). Reconciling writes none of the fields
        Odoo's lock dates and hashes protect. Tested equal to
        ``_reconcile_plan`` case by case.
        """
        AML = self.env["account.move.line"]
        Move = self.env["account.move"]
        amls = self.union(*(debit | credit for debit, credit, _item in pairs))
        pre_hook_data = amls._reconcile_pre_hook()
        invoices = self._otc_simple_invoices([item for *_pair, item in pairs])
        now = self.env.cr.now()
        uid = self.env.uid
        settled = []
        for debit, credit, _item in pairs:
            company_currency, currency = debit.company_currency_id, debit.currency_id
            amount = min(debit.balance, -credit.balance)
            amount_currency = min(debit.amount_currency, -credit.amount_currency)
            lefts = (
                company_currency.round(debit.balance - amount),
                company_currency.round(credit.balance + amount),
                currency.round(debit.amount_currency - amount_currency),
                currency.round(credit.amount_currency + amount_currency),
            )
            full = all(
                cur.is_zero(left)
                for cur, left in zip(
                    (company_currency, company_currency, currency, currency), lefts
                )
            )
            settled.append(
                Settled(debit, credit, amount, amount_currency, *lefts, full)
            )
        full_ids = iter(
            [
                full_id
                for (full_id,) in self.env.execute_query(
                    SQL(
                        """
                        INSERT INTO account_full_reconcile
                               (create_uid, write_uid, create_date, write_date)
                        SELECT %(uid)s, %(uid)s, %(now)s, %(now)s
                          FROM generate_series(1, %(count)s)
                        RETURNING id
                        """,
                        uid=uid,
                        now=now,
                        count=sum(row.full for row in settled),
                    )
                )
            ]
            if any(row.full for row in settled)
            else []
        )
        full_of = [next(full_ids) if row.full else None for row in settled]
        partial_ids = [
            partial_id
            for (partial_id,) in self.env.execute_query(
                SQL(
                    """
                    INSERT INTO account_partial_reconcile
                           (debit_move_id, credit_move_id, debit_currency_id,
                            credit_currency_id, company_id, max_date, amount,
                            debit_amount_currency, credit_amount_currency,
                            full_reconcile_id,
                            create_uid, write_uid, create_date, write_date)
                    SELECT v.*, %(uid)s, %(uid)s, %(now)s, %(now)s
                      FROM (VALUES %(rows)s) AS v
                    RETURNING id
                    """,
                    rows=SQL(", ").join(
                        SQL(
                            "(%s, %s, %s, %s, %s, %s::date, %s::numeric, "
                            "%s::numeric, %s::numeric, %s::int)",
                            row.debit.id,
                            row.credit.id,
                            row.debit.currency_id.id,
                            row.credit.currency_id.id,
                            (
                                row.debit.company_id
                                if row.debit.move_id.is_invoice(include_receipts=True)
                                else row.credit.company_id
                            ).id,
                            max(row.debit.date, row.credit.date),
                            row.amount,
                            row.amount_currency,
                            row.amount_currency,
                            full_id,
                        )
                        for row, full_id in zip(settled, full_of, strict=True)
                    ),
                    uid=uid,
                    now=now,
                )
            )
        ]
        due = Move._fields["invoice_date_due"]
        pending_due = set(self.env.transaction.tocompute.get(due, ()))
        invoice_fields = [
            *self.pool.field_computed[Move._fields["amount_residual"]],
            Move._fields["payment_state"],
        ]
        # an invoice with a change of its own pending is left to the ORM
        for field in invoice_fields:
            invoices = {
                move: values
                for move, values in invoices.items()
                if move.id not in self.env.transaction.tocompute.get(field, ())
            }
        # the ORM learns what was created, as after its own create: what
        # depends on the items' partials is marked for recomputation
        Partial = self.env["account.partial.reconcile"]
        Full = self.env["account.full.reconcile"]
        amls.invalidate_recordset(["matched_debit_ids", "matched_credit_ids"])
        partials = Partial.browse(partial_ids)
        # the cache takes the partials as inserted, as after the ORM's create:
        # what depends on them is found without reading them back
        inserted = {
            "debit_move_id": [row.debit.id for row in settled],
            "credit_move_id": [row.credit.id for row in settled],
            "debit_currency_id": [row.debit.currency_id.id for row in settled],
            "credit_currency_id": [row.credit.currency_id.id for row in settled],
            "amount": [row.amount for row in settled],
            "debit_amount_currency": [row.amount_currency for row in settled],
            "credit_amount_currency": [row.amount_currency for row in settled],
            "full_reconcile_id": full_of,
            "exchange_move_id": [None] * len(settled),
        }
        for fname, values in inserted.items():
            self.env.cache.update(partials, Partial._fields[fname], values)
        partials.modified(list(Partial._fields), create=True)
        self._otc_partials_computed(partials)
        Full.browse([f for f in full_of if f]).modified(list(Full._fields), create=True)
        # the items' new values, as their computation would give them, in
        # one statement (an index scan: the ORM's flush joins the whole
        # table), not recomputed: Odoo's computation would give the same
        fnames = [
            "amount_residual",
            "amount_residual_currency",
            "reconciled",
            "full_reconcile_id",
            "matching_number",
        ]
        for fname in fnames[:3]:
            self.env.remove_to_compute(AML._fields[fname], amls)
        amls.flush_recordset(fnames)
        rows = []
        for row, full_id, partial_id in zip(settled, full_of, partial_ids, strict=True):
            number = str(full_id) if full_id else f"P{partial_id}"
            for aml, left, left_currency in (
                (row.debit, row.debit_left, row.debit_left_currency),
                (row.credit, row.credit_left, row.credit_left_currency),
            ):
                rows.append(
                    SQL(
                        "(%s, %s::numeric, %s::numeric, %s::bool, %s::int, %s)",
                        aml.id,
                        left,
                        left_currency,
                        # Odoo: reconciled when nothing is left in either
                        aml.company_currency_id.is_zero(left)
                        and aml.currency_id.is_zero(left_currency),
                        full_id,
                        number,
                    )
                )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move_line aml
                   SET amount_residual = v.residual,
                       amount_residual_currency = v.residual_currency,
                       reconciled = v.reconciled,
                       full_reconcile_id = v.full_id,
                       matching_number = v.number
                  FROM (VALUES %s)
                       AS v(id, residual, residual_currency, reconciled, full_id, number)
                 WHERE aml.id = v.id AND aml.id = ANY(%s)
                """,
                SQL(", ").join(rows),
                amls.ids,
            )
        )
        amls.invalidate_recordset(fnames, flush=False)
        amls.modified(fnames)
        for fname in fnames[:3]:
            self.env.remove_to_compute(AML._fields[fname], amls)
        self._otc_set_invoice_values(invoices, settled, invoice_fields)
        # reconciling changes no invoice's total nor its terms, so not its
        # due date: Odoo's dependencies would recompute the payment terms of
        # every invoice paid (a tenth of the run) to write the same date
        paid = amls.move_id.filtered(lambda move: move.is_invoice(True))
        unchanged = (
            set(self.env.transaction.tocompute.get(due, ())) - pending_due
        ) & set(paid.ids)
        self.env.remove_to_compute(due, Move.browse(unchanged))
        amls._reconcile_post_hook(pre_hook_data)
        return Partial.browse(partial_ids)

    @api.model
    def _otc_partials_computed(self, partials):
        """The partials' computed columns were inserted as Odoo computes them
        (currencies of their items, the company, the later date): not
        computed again, while ``account``'s own computations are installed."""
        Partial = self.env["account.partial.reconcile"]
        if not account_computes(Partial, "_compute_company_id", "_compute_max_date"):
            return
        for fname in (
            "debit_currency_id",
            "credit_currency_id",
            "company_id",
            "max_date",
        ):
            self.env.remove_to_compute(Partial._fields[fname], partials)

    @api.model
    def _otc_simple_invoices(self, items):
        """The invoices whose residual and payment state follow from the pairs.

        An invoice nothing paid before (not paid, no partial on any of its
        items, no payment matched to it, not blocked), whose paid items are
        its payment-term items, while Odoo's own computations of the amounts
        and payment state are those of ``account`` (no installed module
        overrides them): then its new residual is the old one less what the
        pairs pay, and its payment state "paid" at zero, else "partial",
        exactly as ``_compute_amount`` and ``_compute_payment_state`` find.
        Returns {invoice: its current (residual, signed residual)}.
        """
        Move = self.env["account.move"]
        if not (
            account_computes(Move, "_compute_amount", "_compute_payment_state")
            and account_computes(self, "_compute_amount_residual")
        ):
            return {}
        moves = Move.union(*(item.move_id for item in items))
        moves.fetch(
            [
                "move_type",
                "state",
                "payment_state",
                "amount_residual",
                "amount_residual_signed",
                "currency_id",
                "company_id",
            ]
        )
        touched = self._otc_touched("move_id", moves.ids)
        # moves with a paid item that is not one of their payment terms, or
        # not in their currency (Odoo's payment state then reads the company's)
        touched.update(
            item.move_id.id
            for item in items
            if item.display_type != "payment_term"
            or item.currency_id != item.move_id.currency_id
        )
        return {
            move: (move.amount_residual, move.amount_residual_signed)
            for move in moves
            if move.is_invoice(include_receipts=True)
            and move.state == "posted"
            and move.payment_state == "not_paid"
            and move.id not in touched
        }

    @api.model
    def _otc_set_invoice_values(self, invoices, settled, invoice_fields):
        """Give the invoices their new residual and payment state as computed."""
        if not invoices:
            return
        Move = self.env["account.move"]
        change = {}
        for row in settled:
            for aml, left, left_currency in (
                (row.debit, row.debit_left, row.debit_left_currency),
                (row.credit, row.credit_left, row.credit_left_currency),
            ):
                if aml.move_id in invoices:
                    # untouched before: the item's residual was its balance
                    # (its amount in currency)
                    before = change.get(aml.move_id, (0.0, 0.0))
                    change[aml.move_id] = (
                        before[0] + left - aml.balance,
                        before[1] + left_currency - aml.amount_currency,
                    )
        moves = Move.union(*invoices)
        values = {
            "amount_residual_signed": [],
            "amount_residual": [],
            "payment_state": [],
        }
        for move, (residual, signed) in invoices.items():
            delta, delta_currency = change.get(move, (0.0, 0.0))
            residual -= move.direction_sign * delta_currency
            values["amount_residual_signed"].append(signed + delta)
            values["amount_residual"].append(residual)
            values["payment_state"].append(
                "paid" if move.currency_id.is_zero(residual) else "partial"
            )
        # written in one statement; what depends on them is recomputed, not
        # they (payment_state depends on the residual)
        store_computed(moves, values)
        moves.modified(["amount_residual", "amount_residual_signed", "payment_state"])
        for field in invoice_fields:
            self.env.remove_to_compute(field, moves)

    # the amounts ``_compute_amount`` gives a journal entry that is not an
    # invoice: its total is the sum of its debit items, nothing else is set
    _OTC_ENTRY_AMOUNTS = {
        "amount_untaxed": lambda total, total_currency: 0.0,
        "amount_tax": lambda total, total_currency: 0.0,
        "amount_total": lambda total, total_currency: total_currency,
        "amount_residual": lambda total, total_currency: 0.0,
        "amount_untaxed_signed": lambda total, total_currency: 0.0,
        "amount_untaxed_in_currency_signed": lambda total, total_currency: 0.0,
        "amount_tax_signed": lambda total, total_currency: 0.0,
        "amount_total_signed": lambda total, total_currency: abs(total),
        "amount_residual_signed": lambda total, total_currency: 0.0,
        "amount_total_in_currency_signed": lambda total, total_currency: abs(
            total_currency
        ),
    }

    @api.model
    def _otc_set_entry_amounts(self, moves):
        """The statement entries' amounts as ``_compute_amount`` finds them, set-based.

        An automatic run rewrites and adds items on thousands of statement
        entries; Odoo recomputes each entry's amounts record by record
        (reading every item of every entry through the ORM). For a journal
        entry that is not an invoice they are only its total: the sum of its
        debit items, in its currency and (unsigned) in the company's. Read in
        one query, set as computed, for the entries of ``moves`` whose
        amounts are waiting to be recomputed; only while ``account``'s own
        ``_compute_amount`` computes them with exactly these fields (tested
        equal to it). Anything else is left to the ORM.
        """
        Move = self.env["account.move"]
        if not account_computes(Move, "_compute_amount"):
            return
        fields_ = self.pool.field_computed[Move._fields["amount_total"]]
        if {field.name for field in fields_} != set(self._OTC_ENTRY_AMOUNTS):
            return
        tocompute = self.env.transaction.tocompute
        pending = set(moves.ids)
        for field in fields_:
            pending &= set(tocompute.get(field, ()))
        entries = Move.browse(sorted(pending)).filtered(
            lambda move: move.move_type == "entry"
        )
        if not entries:
            return
        self.flush_model(["move_id", "balance", "amount_currency"])
        fnames = list(self._OTC_ENTRY_AMOUNTS)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT move.id,
                       COALESCE(SUM(aml.balance) FILTER (WHERE aml.balance > 0), 0),
                       COALESCE(SUM(aml.amount_currency) FILTER (WHERE aml.balance > 0), 0),
                       %(stored)s
                  FROM account_move move
                  LEFT JOIN account_move_line aml ON aml.move_id = move.id
                 WHERE move.id = ANY(%(ids)s)
                 GROUP BY move.id
                """,
                stored=SQL(", ").join(
                    SQL.identifier("move", fname) for fname in fnames
                ),
                ids=entries.ids,
            )
        )
        # only the entries whose stored amounts change are written, all in
        # one statement (``store_computed``); the others keep what is stored
        changed, unchanged = {}, {}
        for move_id, total, total_currency, *stored in rows:
            values = [
                compute(float(total), float(total_currency))
                for compute in self._OTC_ENTRY_AMOUNTS.values()
            ]
            same = values == [float(value or 0.0) for value in stored]
            (unchanged if same else changed)[move_id] = values
        if changed:
            store_computed(
                Move.browse(list(changed)).with_prefetch(entries._prefetch_ids),
                {
                    fname: [values[index] for values in changed.values()]
                    for index, fname in enumerate(fnames)
                },
            )
        if unchanged:
            records = Move.browse(list(unchanged))
            for index, fname in enumerate(fnames):
                self.env.cache.update(
                    records,
                    Move._fields[fname],
                    [values[index] for values in unchanged.values()],
                )
        entries.modified(list(self._OTC_ENTRY_AMOUNTS))
        for field in fields_:
            self.env.remove_to_compute(field, entries)
