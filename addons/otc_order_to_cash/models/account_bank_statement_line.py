import logging
import time
from dataclasses import replace

from odoo import Command, _lt, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare
from odoo.tools.safe_eval import safe_eval

from ..engine import learning, matching, settlement
from ..tools import heap
from ..tools.batch import run_batches
from ..tools.columns import account_computes, store_computed

_logger = logging.getLogger(__name__)

MATCH_STATES = [
    ("todo", "To Match"),
    ("suggested", "Suggestions"),
    ("unmatched", "No Match"),
    ("auto", "Matched Automatically"),
    ("manual", "Matched by Hand"),
]
BATCH_SIZE = 1000
# the suite's own fields of a statement line: AR clerks read statement lines
# only (as Odoo's Billing group does); the matcher writes these after
# ``_otc_check_cash_access`` (``_otc_write_match``)
MATCH_FIELDS = frozenset(
    {
        "otc_match_state",
        "otc_applied_suggestion_id",
        "otc_score",
        "otc_suggested_partner_id",
        "otc_summary",
        "otc_match_note",
        "otc_matched_uid",
        "otc_matched_date",
    }
)
# the engine's decisions, as the AR team reads them
# candidate kinds the suggestion model knows (``otc.cash.suggestion.kind``)
KINDS = {
    "exact",
    "discount",
    "fee",
    "partial",
    "overpayment",
    "subset",
    "remittance",
    "manual",
    "none",
}
DECISION_NOTES = {
    "no candidate": _lt("No open item fits this payment."),
    "best score below the threshold": _lt(
        "The best candidate is below the automatic reconciliation threshold."
    ),
    "second candidate too close": _lt(
        "Two candidates are almost as likely: choose the right one."
    ),
}


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    otc_match_state = fields.Selection(
        MATCH_STATES,
        string="Cash Application",
        index=True,
        copy=False,
        help="Where the incoming payment stands in cash application.",
    )
    otc_suggestion_ids = fields.One2many(
        "otc.cash.suggestion",
        "statement_line_id",
        string="Candidates",
        domain=[("state", "=", "proposed")],
    )
    otc_applied_suggestion_id = fields.Many2one(
        "otc.cash.suggestion",
        string="Applied Match",
        copy=False,
        ondelete="set null",
    )
    otc_score = fields.Float(
        string="Best Score (%)",
        digits=(5, 1),
        copy=False,
        help="Confidence of the best candidate.",
    )
    otc_suggested_partner_id = fields.Many2one(
        "res.partner", string="Suggested Customer", copy=False
    )
    otc_summary = fields.Char(
        string="Best Candidate",
        copy=False,
        help="Documents of the best candidate.",
    )
    otc_match_note = fields.Char(
        string="Matcher Note",
        copy=False,
        help="Why the line was not reconciled automatically.",
    )
    otc_matched_uid = fields.Many2one("res.users", string="Matched By", copy=False)
    otc_matched_date = fields.Datetime(string="Matched On", copy=False)
    otc_writeoff_account_missing = fields.Boolean(
        compute="_compute_otc_writeoff_account_missing",
        groups="base.group_user",
        help="The company has no Payment Difference Account: bank fees are not "
        "written off.",
    )

    def _compute_otc_writeoff_account_missing(self):
        for line in self:
            line.otc_writeoff_account_missing = (
                not line.company_id.sudo().otc_cash_writeoff_account_id
            )

    @api.model
    def _otc_action_review(self):
        """Payments to Apply, warning when a company cannot write off fees."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_order_to_cash.otc_cash_line_action"
        )
        missing = self.env.companies.sudo().filtered(
            lambda c: not c.otc_cash_writeoff_account_id
        )
        if missing:
            action["context"] = dict(
                safe_eval(action.get("context") or "{}"),
                otc_writeoff_missing=", ".join(missing.mapped("name")),
            )
        return action

    def action_otc_writeoff_missing(self):
        """The warning of Payments to Apply: the settings, for who may set them."""
        if self.env.user.has_group("base.group_system"):
            return self.env["ir.actions.act_window"]._for_xml_id(
                "otc_order_to_cash.otc_config_settings_action"
            )
        names = self.env.context.get("otc_writeoff_missing") or ", ".join(
            self.env.companies.filtered(
                lambda c: not c.sudo().otc_cash_writeoff_account_id
            ).mapped("name")
        )
        raise UserError(
            self.env._(
                "%(companies)s: no Payment Difference Account, bank fees are not "
                "written off. Ask an administrator to set it in the Order-to-Cash "
                "settings (Cash Application).",
                companies=names,
            )
        )

    # CRUD ------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "otc_match_state" not in vals and (vals.get("amount") or 0.0) > 0:
                vals["otc_match_state"] = "todo"
        lines = super().create(vals_list)
        if any(
            line.otc_match_state == "todo" and line.company_id.otc_cash_auto_match
            for line in lines
        ):
            # matched by the scheduled job right after the import's commit:
            # an import never fails or slows down because of matching
            cron = self.env.ref(
                "otc_order_to_cash.ir_cron_otc_cash_match", raise_if_not_found=False
            )
            if cron:
                cron.sudo()._trigger()
        return lines

    # actions ---------------------------------------------------------------------

    def action_otc_match(self):
        """Match the selected lines now (by hand)."""
        self._otc_check_cash_access()
        lines = self._otc_matchable()
        if not lines:
            raise UserError(
                self.env._("None of the selected lines is an unreconciled receipt.")
            )
        stats = lines._otc_match_lines()
        return self._otc_notify(
            self.env._(
                "%(auto)s line(s) reconciled, %(suggested)s with suggestions, "
                "%(unmatched)s without a candidate.",
                **stats,
            )
        )

    def action_otc_accept_best(self):
        """Accept the best candidate of each selected line."""
        self._otc_check_cash_access()
        best = self.env["otc.cash.suggestion"]
        for line in self:
            proposed = line.otc_suggestion_ids.filtered(lambda s: s.state == "proposed")
            if proposed:
                best |= proposed.sorted("sequence")[:1]
        if not best:
            raise UserError(self.env._("The selected lines have no candidate."))
        best.statement_line_id._otc_apply_suggestions(best, origin="manual")
        return True

    def action_otc_reject(self):
        """Reject every candidate of the selected lines."""
        self._otc_check_cash_access()
        self.otc_suggestion_ids.filtered(
            lambda s: s.state == "proposed"
        ).sudo().state = "rejected"
        self.filtered(
            lambda line: line.otc_match_state in ("todo", "suggested")
        )._otc_write_match({"otc_match_state": "unmatched"})
        self._otc_refresh_best()
        return True

    def action_otc_pick(self):
        """Open the wizard to pick the customer's invoices by hand."""
        self.ensure_one()
        self._otc_check_cash_access()
        if self.is_reconciled:
            raise UserError(
                self.env._("%(line)s is already reconciled.", line=self.display_name)
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pick Invoices"),
            "res_model": "otc.cash.pick.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_statement_line_id": self.id,
                "default_partner_id": (
                    self.partner_id.commercial_partner_id.id
                    or self.otc_suggested_partner_id.id
                ),
            },
        }

    def action_otc_undo(self):
        """Undo the reconciliation and put the line back in review."""
        self._otc_check_cash_access()
        lines = self.filtered("is_reconciled")
        if not lines:
            raise UserError(self.env._("None of the selected lines is reconciled."))
        applied = lines.otc_applied_suggestion_id
        remittances = applied.remittance_id
        lines.sudo().action_undo_reconciliation()
        applied.sudo().state = "rejected"
        if remittances:
            remittances.sudo().write({"state": "draft", "statement_line_id": False})
        # the other candidates were settled when the match was applied: the
        # line waits for a new match, a pick or a remittance
        lines._otc_write_match(
            {
                "otc_match_state": "unmatched",
                "otc_applied_suggestion_id": False,
                "otc_matched_uid": False,
                "otc_matched_date": False,
            }
        )
        body = self.env._(
            "Cash application undone by %(user)s.", user=self.env.user.name
        )
        lines.move_id._message_log_batch(bodies=dict.fromkeys(lines.move_id.ids, body))
        lines._otc_refresh_best()
        return True

    def action_otc_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_otc_open_review(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("otc_order_to_cash.otc_cash_line_view_form").id, "form")
            ],
            "target": "current",
        }

    # matching --------------------------------------------------------------------

    @api.model
    def _otc_check_cash_access(self):
        if not (
            self.env.su
            or self.env.user.has_group("otc_order_to_cash.group_otc_ar_clerk")
        ):
            raise AccessError(
                self.env._("Only the AR team may apply customer payments.")
            )

    def _otc_write_match(self, vals):
        """Write the suite's matching fields of these lines, after the check.

        AR clerks may not write statement lines (their amount, date or
        partner are Odoo's); what the matcher records on them is written here
        with superuser rights once ``_otc_check_cash_access`` passed.
        """
        self._otc_check_cash_access()
        if set(vals) - MATCH_FIELDS:
            raise AccessError(
                self.env._(
                    "Cash application writes only its own fields of a statement line."
                )
            )
        return self.sudo().write(vals)

    def _otc_matchable(self):
        """The receipts among these lines that still wait for a reconciliation."""
        return self.filtered(lambda line: line.amount > 0 and not line.is_reconciled)

    @api.model
    def _cron_otc_match(self, batch_size=BATCH_SIZE):
        """Scheduled job: match the lines waiting for it, company by company.

        Lines are processed in a stated order (statement date, sequence, id)
        in batches through ``tools.batch.run_batches``: each batch commits
        and reports progress; a batch that meets a serialization failure (a
        payment posted at the same moment on one of its invoices, say) is
        rolled back and retried in halves down to single lines, so that one
        busy invoice costs one line, not a thousand; a line that still fails
        stays waiting for the next run. After a rollback the matcher's
        session is rebuilt (its picture of open items would be off).
        """
        companies = self.env["res.company"].search([("otc_cash_auto_match", "=", True)])
        for company in companies:
            ids = (
                self.search(
                    [("company_id", "=", company.id), ("otc_match_state", "=", "todo")]
                )
                .sorted(lambda line: (line.date, line.sequence, line.id))
                .ids
            )
            if ids:
                self.with_company(company)._otc_cron_company(company, ids, batch_size)
        return True

    def _otc_cron_company(self, company, ids, batch_size):
        """The scheduled job's batches of one company (see ``_cron_otc_match``)."""
        state = {"session": None}

        def process(chunk):
            # a unit that failed left the session's items consumed: rebuilt
            # before the next attempt
            session, state["session"] = state["session"], None
            if session is None:
                session = self._otc_session(company)
            self.browse(chunk)._otc_match_lines(session=session)
            self.env.flush_all()
            state["session"] = session

        try:
            run_batches(
                self.env,
                ids,
                process,
                batch_size=batch_size,
                label=f"Cash application ({company.name})",
            )
        finally:
            heap.release()

    def _otc_session(self, company):
        """Matcher over the company's open receivable items and known payers."""
        started = time.monotonic()
        with heap.index_built():
            matcher = self._otc_matcher(company)
        _logger.info(
            "Cash application: %d open items of %s indexed in %.1fs",
            len(matcher),
            company.name,
            time.monotonic() - started,
        )
        return {"company": company, "matcher": matcher, "config": matcher.config}

    def _otc_matcher(self, company):
        items = self._otc_open_items(company)
        accounts, names, patterns = self.env["otc.cash.payer"]._otc_known_payers(
            company
        )
        known = matching.KnownPayers(
            accounts=accounts, names=names, reference_patterns=patterns
        )
        config = matching.MatchConfig(
            fee_tolerance_abs=company.otc_cash_fee_tolerance,
            fee_tolerance_pct=company.otc_cash_fee_tolerance_pct,
            writeoff_limit=company.otc_cash_writeoff_limit
            if company.otc_cash_writeoff_account_id
            else 0.0,
            auto_threshold=company.otc_cash_auto_threshold / 100.0,
            digits=company.currency_id.decimal_places,
        )
        return matching.Matcher(items, known, config)

    @api.model
    def _otc_open_items(self, company):
        """Open receivable items of ``company`` as engine ``OpenItem`` rows (one query)."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT aml.id, partner.commercial_partner_id, aml.amount_residual,
                       customer.name, move.name, move.payment_reference,
                       move.invoice_origin, cur.name, aml.amount_residual_currency,
                       aml.date_maturity, aml.discount_date, aml.balance,
                       aml.discount_balance, aml.amount_currency,
                       aml.discount_amount_currency, aml.currency_id
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  JOIN res_partner customer ON customer.id = partner.commercial_partner_id
                  JOIN res_currency cur ON cur.id = aml.currency_id
                 WHERE aml.company_id = %(company)s
                   AND aml.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND NOT aml.reconciled
                   AND aml.amount_residual > 0
                   AND aml.statement_line_id IS NULL
                 ORDER BY aml.date_maturity, aml.id
                """,
                company=company.id,
            )
        )
        company_currency = company.currency_id.id
        items = []
        for (
            aml_id,
            customer_id,
            residual,
            customer_name,
            number,
            payment_ref,
            origin,
            currency_name,
            residual_currency,
            due,
            discount_date,
            balance,
            discount_balance,
            amount_currency,
            discount_amount_currency,
            currency_id,
        ) in rows:
            foreign = currency_id != company_currency
            discount = discount_currency = 0.0
            # Odoo grants the early-payment discount on the untouched item
            # only; the engine checks the payment date against discount_date
            if discount_date and float_compare(residual, balance, 2) == 0:
                discount = balance - (discount_balance or 0.0)
                discount_currency = amount_currency - (discount_amount_currency or 0.0)
            payment_ref = payment_ref or ""
            rf = payment_ref if payment_ref[:2].upper() == "RF" else ""
            items.append(
                matching.OpenItem(
                    id=aml_id,
                    customer_id=customer_id,
                    residual=residual,
                    customer_name=customer_name or "",
                    number=number or "",
                    payment_ref="" if rf else payment_ref,
                    rf_ref=rf,
                    order_ref=(origin or "")[:64],
                    currency=currency_name if foreign else "",
                    residual_currency=residual_currency if foreign else None,
                    due_date=due,
                    discount=discount,
                    discount_currency=discount_currency if foreign else None,
                    discount_date=discount_date if discount else None,
                )
            )
        return items

    def _otc_engine_line(self):
        """This line as an engine ``StatementLine`` (amounts in company currency)."""
        self.ensure_one()
        company_currency = self.company_id.currency_id
        journal_currency = self.journal_id.currency_id or company_currency
        booked = None
        if journal_currency != company_currency:
            booked = self.move_id.line_ids.filtered(
                lambda aml: aml.account_id == self.journal_id.default_account_id
            )[:1].balance or journal_currency._convert(
                self.amount, company_currency, self.company_id, self.date
            )
        amount, amount_currency, currency = settlement.statement_amounts(
            self.amount,
            journal_currency=journal_currency.name,
            company_currency=company_currency.name,
            foreign_currency=self.foreign_currency_id.name or "",
            amount_foreign=self.amount_currency,
            booked_balance=booked,
        )
        partner_name = self.partner_name or self.partner_id.name or ""
        return matching.StatementLine(
            amount=amount,
            date=self.date,
            label=self.payment_ref or "",
            reference=self.ref or "",
            partner_name=partner_name,
            account_number=self.account_number or self.partner_bank_id.acc_number or "",
            amount_currency=amount_currency,
            currency=currency,
            id=self.id,
        )

    def _otc_lock(self):
        """Lock these lines for matching; return those still unreconciled.

        ``SKIP LOCKED`` leaves lines another run holds to that run; a line that
        run has already committed raises a serialization failure here (Odoo's
        transactions are REPEATABLE READ), so a line is never reconciled twice.
        """
        if not self:
            return self
        self.env["account.move.line"].flush_model(["account_id", "move_id"])
        self.flush_recordset()
        # a serialization failure is expected here when another run won the
        # race: the caller's transaction is retried, no need to log the query
        self.env.cr.execute(
            SQL(
                """
                SELECT line.id
                  FROM account_bank_statement_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN account_journal journal ON journal.id = line.journal_id
                 WHERE line.id = ANY(%s)
                   AND line.amount > 0
                   AND EXISTS (
                       SELECT 1 FROM account_move_line aml
                        WHERE aml.move_id = line.move_id
                          AND aml.account_id = journal.suspense_account_id)
                 ORDER BY move.date, line.sequence, line.id
                   FOR UPDATE OF line SKIP LOCKED
                """,
                self.ids,
            ),
            log_exceptions=False,
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        locked = self.browse(ids)
        locked._otc_lines_locked()
        return locked

    def _otc_lines_locked(self):
        """Extension point: called once these lines are locked for matching."""

    def _otc_match_lines(self, session=None):
        """Match these lines: reconcile the confident ones, keep suggestions.

        Returns counts per outcome. Lines locked by another run are skipped.
        """
        stats = {"auto": 0, "suggested": 0, "unmatched": 0}
        for company in self.company_id:
            lines = self.filtered(lambda line, c=company: line.company_id == c)
            lines = lines.with_company(company)._otc_lock()
            if not lines:
                continue
            own = session is None or session["company"] != company
            if own:
                session = lines._otc_session(company)
            try:
                lines._otc_match_locked(session, stats)
            finally:
                if own:
                    heap.release()
        return stats

    def _otc_match_locked(self, session, stats):
        """Decide every locked line with the engine, then write once.

        Each line's proposals come from its remittance advice when one
        explains it (``otc.remittance._otc_proposals_for_lines``: the line
        asks the advices, never the other way round), else from the matcher;
        ``matching.decide`` (the engine, the one place that decides) says
        which are reconciled. The confident ones are applied together
        (``_otc_apply``), the others keep their candidates for review.
        """
        matcher = session["matcher"]
        remittance_proposals = self.env["otc.remittance"]._otc_proposals_for_lines(self)
        to_apply, suggestions, states, notes = [], [], {}, {}
        for line in self:
            advice = remittance_proposals.get(line.id)
            if advice:
                proposals = [advice]
                decision = matcher.decide(proposals)
            else:
                proposals, decision = matcher.match_and_decide(line._otc_engine_line())
            if decision.auto:
                to_apply.append((line, decision.proposal))
                # the same run must not spend these items twice
                matcher.apply(decision.proposal)
                continue
            note = str(DECISION_NOTES.get(decision.why, decision.why))
            for rank, proposal in enumerate(decision.suggestions, start=1):
                suggestions.append((line, proposal, rank, note if rank == 1 else ""))
            states[line.id] = "suggested" if decision.suggestions else "unmatched"
            notes.setdefault(note, []).append(line.id)
        applied = self.browse()
        if to_apply:
            applied = self._otc_apply(to_apply, origin="auto", strict=False)
            for line, proposal in to_apply:
                if line not in applied:
                    # Odoo refused to write it (locked period, secured entry...)
                    states[line.id] = "suggested"
                    suggestions.append((line, proposal, 1, ""))
        # a rerun replaces the previous candidates of these lines; candidates
        # are the matcher's records: nobody writes them over the ORM
        Suggestion = self.env["otc.cash.suggestion"].sudo()
        Suggestion.search(
            [("statement_line_id", "in", list(states)), ("state", "=", "proposed")]
        ).unlink()
        # hundreds per batch, plain values: inserted like the applied ones
        Suggestion._otc_insert(
            [
                dict(
                    line._otc_suggestion_vals(proposal, rank, "proposed"),
                    explanation=note or False,
                )
                for line, proposal, rank, note in suggestions
            ]
        )
        self.invalidate_recordset(["otc_suggestion_ids"])
        for note, ids in notes.items():
            self.browse(ids)._otc_write_match({"otc_match_note": note})
        by_state = {}
        for line_id, state in states.items():
            by_state.setdefault(state, []).append(line_id)
        for state, ids in by_state.items():
            self.browse(ids)._otc_write_match({"otc_match_state": state})
        self.browse(list(states))._otc_refresh_best()
        stats["auto"] += len(applied)
        stats["suggested"] += len(by_state.get("suggested", []))
        stats["unmatched"] += len(by_state.get("unmatched", []))
        return stats

    def _otc_suggestion_vals(self, proposal, rank, state):
        """``otc.cash.suggestion`` values of an engine ``Proposal``.

        The record form of the one typed proposal (``suggestion._as_proposal``
        is the way back): the score as a percentage, the currency as a
        record, the reasons as [code, args, English text, contribution].
        """
        self.ensure_one()
        currency = self._otc_currency(proposal.currency)
        return {
            "statement_line_id": self.id,
            "sequence": rank,
            "state": state,
            "partner_id": proposal.customer_id,
            "kind": proposal.kind if proposal.kind in KINDS else "none",
            "score": round(proposal.score * 100.0, 1),
            "currency_id": currency.id,
            "move_line_ids": [Command.set([aml for aml, _a in proposal.allocations])],
            "allocation": [list(pair) for pair in proposal.allocations],
            "amount": sum(a for _aml, a in proposal.allocations),
            "writeoff": proposal.writeoff,
            "discount": proposal.discount,
            "credit": proposal.credit,
            "reason_data": [
                [reason.code or "", list(reason.args), reason.text, reason.contribution]
                for reason in proposal.reasons
            ],
            "remittance_id": proposal.remittance_id or False,
        }

    def _otc_currency(self, name):
        """The currency of a proposal's amounts ("" = the company's)."""
        company_currency = self.company_id.currency_id or self.env.company.currency_id
        if not name or name == company_currency.name:
            return company_currency
        cache = self.env.cr.cache.setdefault("otc_currencies", {})
        if name not in cache:
            cache[name] = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", name)], limit=1)
                .id
            )
        return self.env["res.currency"].browse(cache[name])

    def _otc_refresh_best(self):
        """Best-candidate summary shown in the review list (one read, one write)."""
        if not self:
            return
        Suggestion = self.env["otc.cash.suggestion"]
        Suggestion.flush_model(["statement_line_id", "state", "sequence"])
        # the best candidate of each line only: its documents are read for
        # these, not for every candidate of the batch
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (statement_line_id) statement_line_id, id
                  FROM otc_cash_suggestion
                 WHERE statement_line_id = ANY(%s) AND state = 'proposed'
                 ORDER BY statement_line_id, sequence, id
                """,
                self.ids,
            )
        )
        bests = Suggestion.browse([suggestion_id for _line_id, suggestion_id in rows])
        best = dict(zip((line_id for line_id, _s in rows), bests, strict=True))
        self.flush_recordset(["otc_score", "otc_suggested_partner_id", "otc_summary"])
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s)",
                line_id,
                best[line_id].score if line_id in best else None,
                best[line_id].partner_id.id or None if line_id in best else None,
                best[line_id].document_names or None if line_id in best else None,
            )
            for line_id in self.ids
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_bank_statement_line line
                   SET otc_score = v.score::numeric,
                       otc_suggested_partner_id = v.partner_id::int,
                       otc_summary = v.summary
                  FROM (VALUES %s) AS v(line_id, score, partner_id, summary)
                 WHERE line.id = v.line_id
                """,
                rows,
            )
        )
        self.invalidate_recordset(
            ["otc_score", "otc_suggested_partner_id", "otc_summary"]
        )

    # applying ----------------------------------------------------------------------

    def _otc_apply_suggestions(self, suggestions, origin):
        pairs = [(s.statement_line_id, s._as_proposal()) for s in suggestions]
        self.browse([line.id for line, _p in pairs])._otc_lock_or_fail()
        applied = self._otc_apply(pairs, origin=origin, strict=True)
        applied._otc_learn()
        return applied

    def _otc_lock_or_fail(self):
        locked = self._otc_lock()
        if locked != self:
            raise UserError(
                self.env._(
                    "%(lines)s: already reconciled, or being matched by someone "
                    "else right now.",
                    lines=", ".join((self - locked).mapped("display_name")),
                )
            )

    def _otc_apply(self, pairs, origin, strict):
        """Reconcile statement lines with receivable items, all in one go.

        ``pairs`` is a list of (statement line, proposal dict). Each line's
        suspense item is replaced by one receivable counterpart per paid item
        (plus a write-off, a discount and a customer-credit item when the
        proposal has them), exactly what a manual reconciliation makes, and
        each counterpart is reconciled with its item through Odoo's
        reconciliation. Four steps, each its own method:

        1. ``_otc_validate``: each proposal against its line and the items as
           they stand now (Odoo's guards, amounts settled again: nothing
           stored is trusted) and the journal item values it makes;
        2. ``_otc_write``: one rewrite of the suspense items, one insert of
           the other counterparts, one reconciliation for all;
        3. ``_otc_record``: the applied candidates, the lines' outcome, the
           remittance advices, the chatter.

        ``strict`` raises on the first proposal that cannot be applied; an
        automatic run (not strict) leaves such a line for review. Returns
        the applied lines.
        """
        if origin == "auto":
            # thousands of lines per run: the applied candidates are the audit
            # trail, not one tracking message per journal entry and invoice
            self = self.with_context(tracking_disable=True)  # noqa: PLW0642
        else:
            # a person applies a few lines: journal items through the ORM
            self = self.with_context(otc_orm_writes=True)  # noqa: PLW0642
        validated = self._otc_validate(pairs, strict)
        if not validated:
            return self.browse()
        lines = self._otc_write(validated)
        self._otc_record(validated, lines, origin)
        return lines

    def _otc_prefetch(self, pairs):
        """Load what the checks read, one query per model instead of per line."""
        AML = self.env["account.move.line"]
        all_items = AML.browse(
            {aml for _line, p in pairs for aml, _amount in p.allocations}
        )
        all_items.fetch(
            [
                "amount_residual",
                "amount_residual_currency",
                "reconciled",
                "partner_id",
                "parent_state",
                "account_id",
                "company_id",
                "currency_id",
                "move_id",
                "discount_date",
                "discount_balance",
                "discount_amount_currency",
                "balance",
                "amount_currency",
            ]
        )
        all_items.account_id.fetch(["account_type"])
        partners = all_items.partner_id | self.env["res.partner"].browse(
            {p.customer_id for _line, p in pairs}
        )
        partners.fetch(["commercial_partner_id"])
        # what Odoo's early-payment discount check reads of the discounted
        # invoices (``_otc_settle``): their terms, payment-term items and
        # those items' partials, once for the batch instead of per item
        discounted = AML.browse(
            {aml for _line, p in pairs if p.discount for aml, _amount in p.allocations}
        ).filtered("discount_date")
        if discounted:
            moves = discounted.move_id
            moves.fetch(
                [
                    "currency_id",
                    "move_type",
                    "invoice_payment_term_id",
                    "invoice_date",
                    "line_ids",
                ]
            )
            moves.invoice_payment_term_id.fetch(["early_discount"])
            terms = moves.line_ids.sudo()
            terms.fetch(["display_type", "discount_date"])
            terms.fetch(["matched_debit_ids", "matched_credit_ids"])

    def _otc_seek_lines(self):
        """{line id: (liquidity, suspense, other items)}, as ``_seek_for_lines``
        splits each line's journal items, for all these lines in one query.

        ``_seek_for_lines`` reads every item of the line's entry through the
        ORM; the matcher asks it for thousands of lines at a time (its checks,
        its writes). The items come in the order ``line_ids`` reads them
        (one entry's items share their date and entry name: by id). An
        installed override of ``_seek_for_lines`` is called instead, line by
        line.
        """
        if not account_computes(self, "_seek_for_lines"):
            return {line.id: line._seek_for_lines() for line in self}
        AML = self.env["account.move.line"]
        AML.flush_model(["move_id", "account_id"])
        self.flush_recordset(["move_id", "journal_id"])
        self.env["account.journal"].flush_model(
            ["default_account_id", "suspense_account_id"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.id, aml.id,
                       COALESCE(aml.account_id = journal.default_account_id, FALSE),
                       COALESCE(aml.account_id = journal.suspense_account_id, FALSE),
                       account.account_type IN ('asset_cash', 'liability_credit_card')
                  FROM account_bank_statement_line line
                  JOIN account_journal journal ON journal.id = line.journal_id
                  JOIN account_move_line aml ON aml.move_id = line.move_id
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE line.id = ANY(%s)
                 ORDER BY line.id, aml.id
                """,
                self.ids,
            )
        )
        found = {line_id: ([], [], [], []) for line_id in self.ids}
        for line_id, aml_id, liquidity, suspense, cash in rows:
            split = found[line_id]
            split[0 if liquidity else 1 if suspense else 2].append(aml_id)
            if cash and not liquidity:
                split[3].append(aml_id)
        # one prefetch set: reading a field of one line's items reads it for all
        prefetch = tuple(row[1] for row in rows)
        result = {}
        for line_id, (liquidity, suspense, other, cash) in found.items():
            if not liquidity:
                # Odoo's fallback: the items on a cash account
                liquidity = cash
                other = [aml_id for aml_id in other if aml_id not in cash]
            result[line_id] = tuple(
                AML.browse(ids).with_prefetch(prefetch)
                for ids in (liquidity, suspense, other)
            )
        return result

    def _otc_validate(self, pairs, strict):
        """Step 1: the proposals that can be applied, with what they write.

        Returns [(line, settled proposal, counterpart values, plan)]; a
        proposal Odoo or the amounts refuse raises (``strict``) or is left
        out (logged; the caller keeps the line in review). Items are checked
        across lines: two lines never spend the same open amount twice.
        """
        self._otc_prefetch(pairs)
        seek = self.browse([line.id for line, _p in pairs])._otc_seek_lines()
        validated, seen_items = [], {}
        for line, proposal in pairs:
            try:
                line._otc_check_writable()
                settled, vals, plan = line._otc_counterpart_vals(
                    proposal, seen_items, suspense=seek[line.id][1]
                )
            except UserError as error:
                if strict:
                    raise
                _logger.info("Cash application: %s skipped: %s", line.id, error)
                continue
            validated.append((line, settled, vals, plan))
        return validated

    def _otc_write(self, validated):
        """Step 2: journal items written and reconciled, for all lines at once.

        Each line's suspense item becomes its first counterpart (guarded
        rewrite, ``_otc_rewrite_suspense``), the other counterparts are
        created at once (``_otc_create_counterparts``: copies of that item),
        then every (counterpart, item) pair goes
        through one reconciliation (``_otc_reconcile``: Odoo's result), and
        the entries' amounts are computed for all of them in one query
        (``_otc_set_entry_amounts``).
        """
        AML = self.env["account.move.line"]
        reused, to_create, suspense_to_drop = [], [], AML
        self._otc_no_analytic_models(validated)
        seek = self.browse([line.id for line, *_rest in validated])._otc_seek_lines()
        for line, _proposal, line_vals, _plan in validated:
            line_suspense = seek[line.id][1]
            if len(line_suspense) == 1:
                # the suspense item becomes the first counterpart, the
                # others are made from it
                reused.append((line_suspense, line_vals[0]))
                to_create.extend((line_suspense, vals) for vals in line_vals[1:])
            else:
                suspense_to_drop |= line_suspense
                to_create.extend((None, vals) for vals in line_vals)
        lines = self.browse([line.id for line, *_rest in validated])
        moves = lines.move_id
        ctx = {
            "skip_account_move_synchronization": True,
            "force_delete": True,
            "skip_readonly_check": True,
            # statement entries have no invoice lines to resynchronise
            "skip_invoice_sync": True,
        }
        with moves._check_balanced({"records": moves}):
            suspense_to_drop.with_context(**ctx).unlink()
            reused_lines = self.with_context(**ctx)._otc_rewrite_suspense(reused)
            created = iter(self.with_context(**ctx)._otc_create_counterparts(to_create))
        reused_by_move = {aml.move_id.id: aml for aml in reused_lines}
        # the reconciliation reads many fields of the paid items: load them in
        # one query, and keep the items in one prefetch set
        paid = AML.browse(
            {
                item_id
                for *_rest, plan in validated
                for item_id, _count in plan
                if item_id
            }
        )
        paid.mapped("date_maturity")
        paid_by_id = {aml.id: aml for aml in paid}
        # counterparts in the order of each line's plan: its reused suspense
        # item first, then the items created for it
        reconcile_plan = []
        for line, _proposal, _vals, plan in validated:
            first = reused_by_move.get(line.move_id.id)
            counterparts = [first] if first else []
            counterparts += [
                next(created) for _i in range(len(plan) - len(counterparts))
            ]
            for (item_id, _count), counterpart in zip(plan, counterparts, strict=True):
                if item_id:
                    reconcile_plan.append(counterpart + paid_by_id[item_id])
        # reconciling changes residuals only: nothing of the invoices' own
        # lines (taxes, payment terms) needs resynchronising
        AML.with_context(skip_invoice_sync=True)._otc_reconcile(reconcile_plan)
        if not self.env.context.get("otc_orm_writes"):
            AML._otc_set_entry_amounts(moves)
            lines._otc_set_reconciled()
        return lines

    def _otc_set_reconciled(self):
        """The applied lines' residual and reconciled flag, as computed.

        An applied line's suspense item is gone; ``_compute_is_reconciled``
        then finds it reconciled, with nothing left (a checked line) or its
        whole amount (a line still to check: Odoo's rule). Set so for the
        lines waiting for that computation whose entry holds no suspense
        item (``_otc_seek_lines``: one query instead of the computation's
        read of every item, line by line), while ``account``'s own
        computation is installed; anything else is left to the ORM.
        """
        fields_ = self.pool.field_computed[self._fields["is_reconciled"]]
        if not account_computes(self, "_compute_is_reconciled", "_seek_for_lines") or {
            field.name for field in fields_
        } != {"is_reconciled", "amount_residual"}:
            return
        pending = set(self.ids)
        for field in fields_:
            pending &= set(self.env.transaction.tocompute.get(field, ()))
        seek = self.browse(sorted(pending))._otc_seek_lines()
        done = self.browse(
            [line_id for line_id, (_l, suspense, _o) in seek.items() if not suspense]
        )
        if not done:
            return
        residual = self._fields["amount_residual"]
        residuals = [
            residual.convert_to_cache(
                0.0
                if line.checked
                else -line.amount_currency
                if line.foreign_currency_id
                else -line.amount,
                line,
            )
            for line in done
        ]
        for field in fields_:
            self.env.remove_to_compute(field, done)
        store_computed(
            done, {"amount_residual": residuals, "is_reconciled": [True] * len(done)}
        )

    def _otc_no_analytic_models(self, validated):
        """Counterparts of companies without analytic distribution models get none.

        What Odoo's ``_compute_analytic_distribution`` finds for such an item
        (a new entry item has no related distribution): one search for the
        batch instead of one per write-off, discount or exchange item. Items
        of a company with models are left to Odoo.
        """
        companies = self.browse([line.id for line, *_rest in validated]).company_id
        models = self.env["account.analytic.distribution.model"].search_fetch(
            [("company_id", "in", [*companies.ids, False])], ["company_id"]
        )
        if any(not model.company_id for model in models):
            return
        with_models = models.company_id
        for line, _proposal, line_vals, _plan in validated:
            if line.company_id in with_models:
                continue
            for vals in line_vals:
                vals.setdefault("analytic_distribution", False)

    def _otc_record(self, validated, lines, origin):
        """Step 3: what was applied, on the candidates, lines and advices.

        The applied candidate of each line (created in one statement, or the
        accepted one marked applied) carries the settled amounts; the lines'
        outcome is written in one statement; the other candidates of these
        lines are settled; each remittance advice applied is marked so, all
        at once.
        """
        AML = self.env["account.move.line"]
        Suggestion = self.env["otc.cash.suggestion"].sudo()
        now = fields.Datetime.now()
        new_suggestions = iter(
            Suggestion._otc_insert(
                [
                    line._otc_suggestion_vals(p, 0, "applied")
                    for line, p, _v, _plan in validated
                    if not p.suggestion_id
                ]
            )
        )
        rows, remittance_lines = [], {}
        for line, proposal, _vals, _plan in validated:
            if proposal.suggestion_id:
                suggestion = Suggestion.browse(proposal.suggestion_id)
                # what was applied, settled again, not what was proposed
                suggestion.write(
                    {
                        "state": "applied",
                        "writeoff": proposal.writeoff,
                        "discount": proposal.discount,
                        "credit": proposal.credit,
                    }
                )
            else:
                suggestion = next(new_suggestions)
            rows.append((line.id, suggestion.id, proposal.customer_id))
            if proposal.remittance_id:
                remittance_lines[proposal.remittance_id] = line.id
        lines._otc_mark_matched(rows, origin, now)
        if remittance_lines:
            self.env["otc.remittance"]._otc_mark_applied(remittance_lines)
        # other candidates of these lines are settled
        Suggestion.search(
            [("statement_line_id", "in", lines.ids), ("state", "=", "proposed")]
        ).unlink()
        if origin == "manual":
            for line, proposal, _vals, _plan in validated:
                line.move_id._message_log(
                    body=self.env._(
                        "Payment applied by %(user)s to %(documents)s.",
                        user=self.env.user.name,
                        documents=", ".join(
                            AML.browse(
                                [a for a, _x in proposal.allocations]
                            ).move_id.mapped("name")
                        )
                        or self.env._("customer credit"),
                    )
                )

    # journal items: Odoo's guards before any write ---------------------------------

    # what a counterpart is made of when the suspense item is rewritten in place
    def _otc_check_writable(self):
        """Odoo refuses to rewrite this line's entry: say why (UserError).

        The same guards as ``account.move.line.write`` on the fields a
        reconciliation rewrites: a secured (hashed) entry cannot change its
        items' accounts, partners or amounts, and no entry of a locked period
        (fiscal year or hard lock date) can. Checked for each line before
        anything is built, so that an automatic run leaves such a line in
        review instead of failing its batch.
        """
        self.ensure_one()
        move = self.move_id
        if move.inalterable_hash:
            raise UserError(
                self.env._(
                    "%(line)s: its journal entry %(entry)s is secured (hashed): "
                    "Odoo does not allow changing its items. Reconcile it with a "
                    "separate payment instead.",
                    line=self.display_name,
                    entry=move.name,
                )
            )
        if move.state == "posted":
            move._check_fiscal_lock_dates()

    @api.model
    def _otc_guard_item_writes(self, items, fnames, account_ids=()):
        """Run the checks ``account.move.line.write`` runs, set-based.

        For ``items`` about to get new values of ``fnames`` (with the accounts
        ``account_ids``): deprecated accounts, secured (hashed) entries, the
        fiscal and tax lock dates, reconciled items. Raises UserError with
        Odoo's own messages.
        """
        AML = self.env["account.move.line"]
        if self.env["account.account"].browse(account_ids).filtered("deprecated"):
            raise UserError(self.env._("You cannot use a deprecated account."))
        hashed = items.move_id.filtered("inalterable_hash")
        violated = set(fnames) & set(AML._get_integrity_hash_fields())
        if hashed and violated:
            raise UserError(
                self.env._(
                    "You cannot edit the following fields: %(fields)s.\n"
                    "The following entries are already hashed:\n%(entries)s",
                    fields=", ".join(sorted(violated)),
                    entries="\n".join(hashed.mapped("name")),
                )
            )
        protected = AML._get_lock_date_protected_fields()
        posted = items.filtered(lambda aml: aml.parent_state == "posted")
        if set(fnames) & set(protected["fiscal"]):
            posted.move_id._check_fiscal_lock_dates()
        if set(fnames) & set(protected["tax"]):
            posted._check_tax_lock_date()
        if set(fnames) & set(protected["reconciliation"]):
            items._check_reconciliation()

    def _otc_rewrite_suspense(self, reused):
        """Turn suspense items into receivable counterparts.

        ``reused``: (suspense item, counterpart values). With the context key
        ``otc_orm_writes`` (a person applying a few lines) each item is
        written through ``account.move.line.write``. An automatic run writes
        thousands of items, one ORM write each would cost more than the
        match: Odoo's own checks of that write run first, set-based
        (``_otc_guard_item_writes``: deprecated accounts, secured entries,
        lock dates, reconciled items), then one statement writes the values
        and the columns the ORM derives from them alone (debit, credit,
        subtotals), and the ORM is told what changed so that every other
        derived field (residuals, reconciliation flags, the entry's and the
        statement line's computed fields) is recomputed as after a write;
        the account/journal constraints run last. The rows are the same
        either way (tested).
        """
        AML = self.env["account.move.line"]
        if not reused:
            return AML
        records = AML.union(*(aml for aml, _vals in reused))
        fnames = [
            "account_id",
            "partner_id",
            "currency_id",
            "amount_currency",
            "balance",
        ]
        if self.env.context.get("otc_orm_writes"):
            for aml, vals in reused:
                aml.with_env(self.env).write({fname: vals[fname] for fname in fnames})
            return records.with_env(self.env)
        self._otc_guard_item_writes(
            records, fnames, {vals["account_id"] for _aml, vals in reused}
        )
        AML.flush_model()
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s)",
                aml.id,
                vals["account_id"],
                vals["partner_id"],
                vals["currency_id"],
                vals["amount_currency"],
                vals["balance"],
            )
            for aml, vals in reused
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move_line aml
                   SET account_id = v.account_id,
                       partner_id = v.partner_id,
                       currency_id = v.currency_id,
                       amount_currency = v.amount_currency,
                       balance = v.balance,
                       debit = GREATEST(v.balance, 0),
                       credit = GREATEST(-v.balance, 0),
                       price_subtotal = v.amount_currency,
                       price_total = v.amount_currency,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM (VALUES %(rows)s)
                       AS v(id, account_id, partner_id, currency_id, amount_currency, balance)
                 WHERE aml.id = v.id
                """,
                rows=rows,
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        derived = ["debit", "credit", "price_subtotal", "price_total"]
        # the cache takes what was written, as after an ORM write: what
        # depends on it is found without reading the items again
        written = {fname: [vals[fname] for _aml, vals in reused] for fname in fnames}
        written["debit"] = [max(balance, 0.0) for balance in written["balance"]]
        written["credit"] = [max(-balance, 0.0) for balance in written["balance"]]
        written["price_subtotal"] = written["price_total"] = written["amount_currency"]
        written["write_uid"] = [self.env.uid] * len(reused)
        written["write_date"] = [self.env.cr.now()] * len(reused)
        for fname, values in written.items():
            field = AML._fields[fname]
            if field.type in ("float", "monetary"):
                # amounts settled and rounded in their currency already
                values = [float(value or 0.0) for value in values]
            elif field.type == "many2one":
                values = [value or None for value in values]
            self.env.cache.update(records, field, values)
        records.modified(fnames)
        # written above, or left as the statement line made them (no taxes,
        # no analytic distribution on a receivable counterpart)
        for fname in derived + ["tax_ids", "analytic_distribution"]:
            self.env.remove_to_compute(AML._fields[fname], records)
        records._check_constrains_account_id_journal_id()
        return records

    def _otc_create_counterparts(self, to_create):
        """Create the counterparts other than the rewritten suspense items.

        ``to_create``: (source item or None, values), in order; returns the
        items in that order. An automatic run makes thousands of them, and
        the ORM's ``create`` computes every field of each from nothing (a
        tenth of the run). Yet each is its entry's suspense item (as just
        rewritten) with another account, partner, currency, amounts and
        label: it is inserted as a copy of that item with these values in
        one statement (``_otc_clone_items``). Items without a source, items
        whose analytic distribution Odoo must find from its models, and
        everything with ``otc_orm_writes`` (a person applying a few lines)
        go through ``create``. The rows are the same either way (tested).
        """
        AML = self.env["account.move.line"]
        clone = not self.env.context.get("otc_orm_writes")
        by_orm, by_clone = [], []
        for index, (source, vals) in enumerate(to_create):
            if (
                clone
                and source
                and "analytic_distribution" in vals
                and not vals["analytic_distribution"]
                and set(vals) <= set(self._OTC_CLONE_VALUES) | {"move_id"}
            ):
                by_clone.append((index, source, vals))
            else:
                by_orm.append((index, vals))
        records = [None] * len(to_create)
        if by_orm:
            made = AML.create([vals for _index, vals in by_orm])
            for (index, _vals), record in zip(by_orm, made, strict=True):
                records[index] = record
        if by_clone:
            made = self._otc_clone_items([(src, vals) for _i, src, vals in by_clone])
            for (index, *_rest), record in zip(by_clone, made, strict=True):
                records[index] = record
        return records

    # what a clone takes from its values; the rest is its source's
    _OTC_CLONE_VALUES = (
        "account_id",
        "partner_id",
        "currency_id",
        "amount_currency",
        "balance",
        "name",
        "analytic_distribution",
    )
    # what the ORM derives from those values alone, written with them
    _OTC_CLONE_DERIVED = ("debit", "credit", "price_subtotal", "price_total")

    def _otc_clone_items(self, sources_vals):
        """Insert journal items as copies of items of the same entries.

        ``sources_vals``: (source item, values of ``_OTC_CLONE_VALUES``).
        Odoo's checks of ``create`` run first, set-based (deprecated
        accounts, secured entries, lock dates: ``_otc_guard_item_writes``);
        one statement inserts the rows: the source's columns, these values
        and the columns the ORM derives from them alone (debit, credit,
        subtotals), no reconciliation, no taxes. The ORM then learns what was
        created, as after its own ``create``: what depends on the new items
        elsewhere (their entry's amounts, the statement line's state) is
        marked for recomputation, and so is each of their own computed
        fields that depends on a value given here (residuals, reconciled
        flag...); a computed field whose dependencies all lie in what the
        copy shares with its source (its entry, journal, dates...) keeps the
        source's value, which Odoo would compute again identically. The
        constraints of ``create`` run last. Returns the items in order.
        """
        AML = self.env["account.move.line"]
        fnames = list(self._OTC_CLONE_VALUES)
        sources = AML.union(*(source for source, _vals in sources_vals))
        self._otc_guard_item_writes(
            sources, fnames, {vals["account_id"] for _s, vals in sources_vals}
        )
        given = set(fnames) | set(self._OTC_CLONE_DERIVED)
        # as in ``create``: the given values are not computed; a field that
        # depends on none of them keeps its source's value; the others are
        kept = [
            field
            for field in AML._fields.values()
            if field.store
            and field.compute
            and (
                field.name in given
                or not any(
                    path.split(".")[0] in given
                    for path in self.pool.field_depends.get(field, ())
                )
            )
        ]
        own = {
            "id",
            "create_uid",
            "create_date",
            "write_uid",
            "write_date",
            "matching_number",
            "full_reconcile_id",
        }
        copied = [
            field.name
            for field in AML._fields.values()
            if field.store
            and field.column_type
            and field.name not in given
            and field.name not in own
        ]
        # the sources' columns as the copies keep them; what the copies
        # compute again is not worth computing for the sources now
        recomputed = {field.name for field in AML._fields.values() if field.compute}
        recomputed -= {field.name for field in kept}
        sources.flush_recordset([f for f in copied if f not in recomputed])
        rows = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s::numeric, %s::numeric, %s, %s::jsonb)",
                order,
                source.id,
                vals["account_id"],
                vals["partner_id"],
                vals["currency_id"],
                vals["amount_currency"],
                vals["balance"],
                vals.get("name") or None,
                None,
            )
            for order, (source, vals) in enumerate(sources_vals)
        )
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    INSERT INTO account_move_line
                           (%(copied)s, account_id, partner_id, currency_id,
                            amount_currency, balance, debit, credit,
                            price_subtotal, price_total, name,
                            analytic_distribution,
                            create_uid, write_uid, create_date, write_date)
                    SELECT %(source_copied)s, v.account_id, v.partner_id,
                           v.currency_id, v.amount_currency, v.balance,
                           GREATEST(v.balance, 0), GREATEST(-v.balance, 0),
                           v.amount_currency, v.amount_currency, v.name,
                           v.analytic_distribution,
                           %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                           NOW() AT TIME ZONE 'UTC'
                      FROM (VALUES %(rows)s)
                           AS v(ord, source_id, account_id, partner_id,
                                currency_id, amount_currency, balance, name,
                                analytic_distribution)
                      JOIN account_move_line src ON src.id = v.source_id
                     ORDER BY v.ord
                    RETURNING id
                    """,
                    copied=SQL(", ").join(SQL.identifier(f) for f in copied),
                    source_copied=SQL(", ").join(
                        SQL.identifier("src", f) for f in copied
                    ),
                    rows=rows,
                    uid=self.env.uid,
                )
            )
        ]
        # ids follow the insertion order of the sorted rows
        records = AML.browse(sorted(ids))
        records.move_id.invalidate_recordset(["line_ids"], flush=False)
        with self.env.protecting(kept, records):
            records.modified([*AML._fields], create=True)
        for fname in [*self._OTC_CLONE_DERIVED, "tax_ids"]:
            self.env.remove_to_compute(AML._fields[fname], records)
        records._validate_fields(fnames)
        records._check_company(fnames)
        records._check_constrains_account_id_journal_id()
        return records

    def _otc_mark_matched(self, rows, origin, now):
        """Record the outcome on the lines, one statement for all of them.

        ``rows``: (line id, applied candidate id, customer id). The suite's
        own fields of the lines are written in one statement. A line without
        a customer gets the one it paid for, on the line and its entry (the
        entry's items already carry it), as Odoo's statement line
        synchronisation writes it (``skip_readonly_check``): through the ORM
        with ``otc_orm_writes``, otherwise in one statement per table with
        the fields that write derives from the partner on an entry (see
        ``_otc_set_partner``; the rows are the same, tested).
        """
        self.flush_recordset()
        values = SQL(", ").join(
            SQL("(%s, %s)", line_id, suggestion_id)
            for line_id, suggestion_id, _partner_id in rows
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_bank_statement_line line
                   SET otc_match_state = %(state)s,
                       otc_applied_suggestion_id = v.suggestion_id,
                       otc_matched_uid = %(uid)s,
                       otc_matched_date = %(now)s,
                       otc_match_note = NULL,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM (VALUES %(values)s) AS v(line_id, suggestion_id)
                 WHERE line.id = v.line_id
                """,
                state=origin,
                uid=self.env.uid,
                now=now,
                values=values,
            )
        )
        self.invalidate_recordset(
            [
                "otc_match_state",
                "otc_applied_suggestion_id",
                "otc_matched_uid",
                "otc_matched_date",
                "otc_match_note",
                "write_uid",
                "write_date",
            ]
        )
        partner_of = {line_id: partner_id for line_id, _s, partner_id in rows}
        self.browse([row[0] for row in rows])._otc_set_partner(partner_of)

    def _otc_set_partner(self, partner_of):
        """Give lines without a customer (and their entries) the one they paid.

        With ``otc_orm_writes`` through the ORM's writes; otherwise one
        statement per table, with what the ORM write derives from the
        partner on a statement entry (``_otc_entry_partner_values``).
        """
        lines = self.filtered(lambda line: not line.partner_id)
        moves = self.move_id.filtered(lambda move: not move.partner_id)
        if not lines and not moves:
            return
        if self.env.context.get("otc_orm_writes"):
            for line in lines:
                line.sudo().with_context(
                    skip_account_move_synchronization=True
                ).partner_id = partner_of[line.id]
            for move in moves:
                move.with_context(
                    skip_readonly_check=True, skip_account_move_synchronization=True
                ).write({"partner_id": move.statement_line_id.partner_id.id})
            return
        # the entry gets its line's partner (the line's own, else the one paid)
        move_ids = set(moves.ids)
        partner_of_move = {
            line.move_id.id: line.partner_id.id or partner_of[line.id]
            for line in self
            if line.move_id.id in move_ids
        }
        values = self._otc_entry_partner_values(partner_of_move)
        if lines:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_bank_statement_line line
                       SET partner_id = v.partner_id
                      FROM unnest(%s::int[], %s::int[]) AS v(line_id, partner_id)
                     WHERE line.id = v.line_id AND line.partner_id IS NULL
                    """,
                    lines.ids,
                    [partner_of[line.id] for line in lines],
                )
            )
        if values:
            rows = list(values.values())
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE account_move move
                       SET partner_id = v.partner_id,
                           commercial_partner_id = v.commercial_partner_id,
                           partner_bank_id = v.partner_bank_id,
                           invoice_partner_display_name = v.display_name,
                           write_uid = %(uid)s,
                           write_date = %(now)s
                      FROM unnest(%(move_ids)s::int[], %(partners)s::int[],
                                  %(commercials)s::int[], %(banks)s::int[],
                                  %(names)s::varchar[])
                           AS v(move_id, partner_id, commercial_partner_id,
                                partner_bank_id, display_name)
                     WHERE move.id = v.move_id AND move.partner_id IS NULL
                    """,
                    move_ids=list(values),
                    partners=[row[0] for row in rows],
                    commercials=[row[1] for row in rows],
                    banks=[row[2] for row in rows],
                    names=[row[3] for row in rows],
                    uid=self.env.uid,
                    now=self.env.cr.now(),
                )
            )
        lines.invalidate_recordset(["partner_id"])
        Move = self.env["account.move"]
        # what was written, and what is derived from it without being stored
        # (the bank partner...)
        moves.invalidate_recordset(
            [
                "partner_id",
                "commercial_partner_id",
                "partner_bank_id",
                "invoice_partner_display_name",
                "write_uid",
                "write_date",
                *(
                    name
                    for name, field in Move._fields.items()
                    if field.compute and not field.store
                ),
            ]
        )

    def _otc_entry_partner_values(self, partner_of_move):
        """{entry id: (partner, commercial partner, bank account, partner name)}.

        What the ORM write derives from the partner on a statement entry
        (measured, tested equal): the commercial partner; the bank account,
        as ``_compute_partner_bank_id`` picks it for an entry (its bank
        partner is its commercial partner): the first of that partner's
        accounts of no company or of the entry's, the trusted ones first;
        the partner's name as ``_compute_invoice_partner_display_info``
        shows it. The invoice-only fields (terms, fiscal position, shipping
        address) stay empty on an entry. Computed for all the entries at
        once: one search of the bank accounts, one read of the partners.
        """
        if not partner_of_move:
            return {}
        Move = self.env["account.move"]
        # stored computed fields are computed as superuser, in this context
        partners = self.env["res.partner"].browse(set(partner_of_move.values())).sudo()
        partners.fetch(["commercial_partner_id"])
        commercial_of = {
            partner.id: partner.commercial_partner_id.id for partner in partners
        }
        name_of = {partner.id: partner.display_name for partner in partners}
        banks = (
            self.env["res.partner.bank"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", list(set(commercial_of.values())))],
                ["partner_id", "company_id", "allow_out_payment"],
                order="sequence, id",
            )
        )
        banks_of = {}
        for bank in banks:
            banks_of.setdefault(bank.partner_id.id, []).append(bank)
        company_of = {
            move.id: move.company_id.id
            for move in Move.browse(list(partner_of_move)).sudo()
        }
        values = {}
        for move_id, partner_id in partner_of_move.items():
            commercial_id = commercial_of[partner_id]
            candidates = [
                bank
                for bank in banks_of.get(commercial_id, [])
                if not bank.company_id or bank.company_id.id == company_of[move_id]
            ]
            # trusted accounts first, the partner's order kept (stable sort)
            candidates.sort(key=lambda bank: not bank.allow_out_payment)
            values[move_id] = (
                partner_id,
                commercial_id,
                candidates[0].id if candidates else None,
                name_of[partner_id],
            )
        return values

    def _otc_counterpart_vals(self, proposal, seen_items, suspense=None):
        """The settled proposal and the journal items replacing the suspense item.

        Returns (settled proposal, values, plan) where plan lists (item id or
        False, number of counterpart items created for it) in creation order.
        The items are checked as they stand now and the discount, write-off
        and credit are settled again from them (``_otc_settle``).
        """
        self.ensure_one()
        ctx = self._otc_apply_context(proposal, suspense)
        rate = ctx["rate"]
        vals, plan = [], []
        items = self.env["account.move.line"].browse(
            [aml for aml, _amount in proposal.allocations]
        )
        for item, (_aml, amount) in zip(items, proposal.allocations, strict=True):
            self._otc_check_item(ctx, item, amount, seen_items)
        proposal = self._otc_settle(ctx, proposal, items)
        for item, (_aml, amount) in zip(items, proposal.allocations, strict=True):
            amount_trans, balance = rate.convert(amount)
            vals.append(
                {
                    **ctx["base"],
                    "account_id": item.account_id.id,
                    # a receivable counterpart carries no analytic distribution
                    "analytic_distribution": False,
                    "amount_currency": -amount_trans,
                    "balance": -balance,
                }
            )
            plan.append((item.id, 1))
        for account_id, amount, name in self._otc_difference_items(ctx, proposal):
            amount_trans, balance = rate.convert(amount)
            label = ctx["base"]["name"]
            vals.append(
                {
                    **ctx["base"],
                    "account_id": account_id,
                    "amount_currency": amount_trans,
                    "balance": balance,
                    "name": f"{label} - {name}" if label else name,
                }
            )
            plan.append((False, 1))
        if proposal.credit:
            amount_trans, balance = rate.convert(proposal.credit)
            receivable = (
                ctx["partner"]
                .with_company(ctx["company"])
                .property_account_receivable_id
            )
            vals.append(
                {
                    **ctx["base"],
                    "account_id": receivable.id,
                    "analytic_distribution": False,
                    "amount_currency": -amount_trans,
                    "balance": -balance,
                }
            )
            plan.append((False, 1))
        # conversions round line by line: the first counterpart takes the cent
        vals[0]["balance"] += settlement.rounding_gap(
            -rate.company_amount,
            [v["balance"] for v in vals],
            ctx["company_currency"].decimal_places,
        )
        vals[0]["amount_currency"] += settlement.rounding_gap(
            -rate.transaction_amount,
            [v["amount_currency"] for v in vals],
            ctx["trans_currency"].decimal_places,
        )
        self._otc_book_exchange_difference(ctx, items, proposal, vals, plan)
        return proposal, vals, plan

    def _otc_settle(self, ctx, proposal, items):
        """The proposal with its discount, write-off and credit settled again.

        From the items as they stand and the payment as booked, never from
        stored amounts (``engine/settlement.py``): the early-payment discount
        is what Odoo's payment terms grant (``_is_eligible_for_early_payment_
        discount`` at the payment date) on the items paid in full, the rest
        of a difference is a write-off within the company's limit.
        """
        currency, company = ctx["currency"], ctx["company"]
        rate = ctx["rate"]
        granted = 0.0
        if proposal.discount:
            for item, (_aml, amount) in zip(items, proposal.allocations, strict=True):
                in_company = currency == ctx["company_currency"]
                residual = (
                    item.amount_residual
                    if in_company
                    else item.amount_residual_currency
                )
                if (
                    item.discount_date
                    and not currency.compare_amounts(amount, residual)
                    and item.move_id._is_eligible_for_early_payment_discount(
                        item.move_id.currency_id, self.date
                    )
                ):
                    granted += (
                        item.balance - item.discount_balance
                        if in_company
                        else item.amount_currency - item.discount_amount_currency
                    )
        limit = (
            company.otc_cash_writeoff_limit
            if company.otc_cash_writeoff_account_id
            else 0.0
        )
        try:
            settled = settlement.settle(
                rate.expected,
                sum(amount for _aml, amount in proposal.allocations),
                granted,
                rate.to_proposal_currency(limit),
                digits=currency.decimal_places,
                discounted=bool(proposal.discount),
            )
        except settlement.SettlementError as error:
            raise UserError(
                self.env._(
                    "%(line)s: the invoices are settled for %(difference)s more "
                    "than was paid; the payment terms grant %(discount)s of "
                    "early-payment discount and the write-off limit is %(limit)s. "
                    "Apply it as a partial payment instead.",
                    line=self.display_name,
                    difference=currency.format(error.args_["difference"]),
                    discount=currency.format(error.args_["discount"]),
                    limit=currency.format(error.args_["limit"]),
                )
            ) from error
        return replace(
            proposal,
            writeoff=settled.writeoff,
            discount=settled.discount,
            credit=settled.credit,
        )

    def _otc_book_exchange_difference(self, ctx, items, proposal, vals, plan):
        """Settle foreign-currency items at their booking rate, in this entry.

        The counterpart of an item in another currency than the company's
        takes the item's currency and its booking value, so that Odoo's
        reconciliation clears it in both currencies; the difference with what
        the bank credited is the realised exchange difference, booked here on
        the company's exchange gain or loss account instead of in a separate
        exchange difference entry per payment.
        """
        company, company_currency = ctx["company"], ctx["company_currency"]
        difference = 0.0
        for index, (item, (_aml, amount)) in enumerate(
            zip(items, proposal.allocations, strict=True)
        ):
            currency = item.currency_id
            if currency == company_currency or not item.amount_residual_currency:
                continue
            amount_currency, booked = settlement.at_booking_rate(
                amount,
                item.amount_residual,
                item.amount_residual_currency,
                in_item_currency=ctx["currency"] == currency,
                item_digits=currency.decimal_places,
                company_digits=company_currency.decimal_places,
            )
            counterpart = vals[index]
            difference += -counterpart["balance"] - booked
            counterpart.update(
                {
                    "currency_id": currency.id,
                    "amount_currency": -amount_currency,
                    "balance": -booked,
                }
            )
        difference = round(difference, company_currency.decimal_places)
        if company_currency.is_zero(difference):
            return
        account = (
            company.income_currency_exchange_account_id
            if difference > 0
            else company.expense_currency_exchange_account_id
        )
        if not account:
            raise UserError(
                self.env._(
                    "Set the exchange gain and loss accounts of the company to apply "
                    "payments of foreign-currency invoices."
                )
            )
        vals.append(
            {
                **ctx["base"],
                "account_id": account.id,
                "currency_id": company_currency.id,
                "amount_currency": -difference,
                "balance": -difference,
                "name": self.env._("Exchange difference"),
            }
        )
        plan.append((False, 1))

    def _otc_apply_context(self, proposal, suspense=None):
        """Check a proposal against this line; amounts and currencies to apply it.

        ``suspense``: the line's suspense items when the caller has them
        (``_otc_seek_lines``)."""
        env = self.env
        company = self.company_id
        company_currency = company.currency_id
        partner = env["res.partner"].browse(proposal.customer_id).commercial_partner_id
        if not partner:
            raise UserError(env._("A customer is needed to apply a payment."))
        if suspense is None:
            suspense = self._seek_for_lines()[1]
        if not suspense or self.is_reconciled:
            raise UserError(
                env._("%(line)s is already reconciled.", line=self.display_name)
            )
        if self.amount <= 0:
            raise UserError(env._("Only incoming payments can be applied to invoices."))
        # transaction currency: the one the bank says the customer paid in
        trans_currency = suspense.currency_id
        trans_amount = -sum(suspense.mapped("amount_currency"))
        company_amount = -sum(suspense.mapped("balance"))
        currency = self._otc_currency(proposal.currency)
        if currency not in (trans_currency, company_currency):
            raise UserError(
                env._(
                    "%(line)s was paid in %(currency)s: the amounts cannot be "
                    "applied in %(other)s.",
                    line=self.display_name,
                    currency=trans_currency.name,
                    other=currency.name,
                )
            )
        for amount in (proposal.writeoff, proposal.discount, proposal.credit):
            if amount < 0:
                raise UserError(env._("Amounts applied cannot be negative."))
        rate = settlement.Rate(
            transaction_amount=trans_amount,
            company_amount=company_amount,
            in_transaction=currency == trans_currency,
            same_currency=trans_currency == company_currency,
            transaction_digits=trans_currency.decimal_places,
            company_digits=company_currency.decimal_places,
        )
        return {
            "company": company,
            "company_currency": company_currency,
            "currency": currency,
            "trans_currency": trans_currency,
            "trans_amount": trans_amount,
            "company_amount": company_amount,
            "partner": partner,
            "rate": rate,
            "base": {
                "move_id": self.move_id.id,
                "partner_id": partner.id,
                "currency_id": trans_currency.id,
                "name": self.payment_ref or self.ref or "",
            },
        }

    def _otc_check_item(self, ctx, item, amount, seen_items):
        """``amount`` may be applied to ``item`` (open, the customer's, enough left)."""
        env = self.env
        currency, company_currency = ctx["currency"], ctx["company_currency"]
        if amount <= 0:
            raise UserError(env._("Amounts applied must be positive."))
        if (
            item.reconciled
            or item.parent_state != "posted"
            or item.account_id.account_type != "asset_receivable"
            or item.company_id != ctx["company"]
            or item.partner_id.commercial_partner_id != ctx["partner"]
        ):
            raise UserError(
                env._(
                    "%(item)s is not an open receivable of %(customer)s.",
                    item=item.move_id.name or item.display_name,
                    customer=ctx["partner"].display_name,
                )
            )
        residual = (
            item.amount_residual_currency
            if currency == item.currency_id and currency != company_currency
            else item.amount_residual
        ) - seen_items.get(item.id, 0.0)
        if currency.compare_amounts(amount, residual) > 0:
            raise UserError(
                env._(
                    "%(item)s: %(amount)s is more than its open amount %(residual)s.",
                    item=item.move_id.name,
                    amount=currency.format(amount),
                    residual=currency.format(residual),
                )
            )
        seen_items[item.id] = seen_items.get(item.id, 0.0) + amount

    def _otc_difference_items(self, ctx, proposal):
        """(account, amount, label) of the write-off and discount items."""
        env = self.env
        company = ctx["company"]
        items = []
        if proposal.writeoff:
            # within the write-off limit: settled by ``_otc_settle``
            if not company.otc_cash_writeoff_account_id:
                raise UserError(
                    env._(
                        "Set a payment difference account in the Order to Cash "
                        "settings to write off differences."
                    )
                )
            account = company.otc_cash_writeoff_account_id.id
            items.append((account, proposal.writeoff, env._("Payment difference")))
        if proposal.discount:
            account = (
                company.account_journal_early_pay_discount_loss_account_id
                or company.otc_cash_writeoff_account_id
            )
            if not account:
                raise UserError(
                    env._(
                        "Set the early-payment discount loss account of the company "
                        "to apply discounted payments."
                    )
                )
            items.append(
                (account.id, proposal.discount, env._("Early-payment discount"))
            )
        return items

    # learning ------------------------------------------------------------------------

    def _otc_learn(self):
        """Remember what identified the customer of these confirmed lines."""
        Payer = self.env["otc.cash.payer"].sudo()
        today = fields.Date.context_today(self)
        for line in self:
            suggestion = line.otc_applied_suggestion_id
            partner = suggestion.partner_id.commercial_partner_id
            if not partner:
                continue
            facts = []
            account = line.account_number or ""
            if learning.account_key(account):
                facts.append(("account", account))
                line._otc_learn_bank_account(partner)
            if learning.name_key(line.partner_name) and learning.name_key(
                line.partner_name
            ) != learning.name_key(partner.name):
                facts.append(("name", line.partner_name))
            documents = suggestion.move_line_ids.move_id
            pattern = learning.reference_pattern(
                f"{line.payment_ref or ''} {line.ref or ''}",
                documents.mapped("name")
                + [ref for ref in documents.mapped("payment_reference") if ref]
                + [ref for ref in documents.mapped("invoice_origin") if ref],
            )
            if pattern:
                facts.append(("pattern", pattern))
            for kind, value in facts:
                key = Payer.new({"kind": kind, "value": value}).key
                existing = Payer.with_context(active_test=False).search(
                    [
                        ("company_id", "=", line.company_id.id),
                        ("kind", "=", kind),
                        ("key", "=", key),
                        ("partner_id", "=", partner.id),
                    ],
                    limit=1,
                )
                if existing:
                    existing.write(
                        {
                            "confirmed_count": existing.confirmed_count + 1,
                            "last_confirmed": today,
                        }
                    )
                else:
                    Payer.create(
                        {
                            "company_id": line.company_id.id,
                            "partner_id": partner.id,
                            "kind": kind,
                            "value": value,
                            "statement_line_id": line.id,
                        }
                    )

    def _otc_learn_bank_account(self, partner):
        """Record the payer account on the customer, as Odoo's reconciliation does."""
        self.ensure_one()
        if self.partner_bank_id:
            return
        bank = (
            self.with_context(active_test=False)
            .sudo()
            .env["res.partner.bank"]
            .search([("acc_number", "=", self.account_number)], limit=1)
        )
        if not bank:
            bank = (
                self.env["res.partner.bank"]
                .sudo()
                .create({"acc_number": self.account_number, "partner_id": partner.id})
            )
        if bank.partner_id.commercial_partner_id == partner:
            # learned by the matcher after the access check (clerks read
            # statement lines only)
            self.sudo().with_context(
                skip_account_move_synchronization=True
            ).partner_bank_id = bank

    def _otc_notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "info",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
