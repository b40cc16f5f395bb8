import json
import logging

from odoo import _lt, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import matching

_logger = logging.getLogger(__name__)

SUGGESTION_KINDS = [
    ("exact", "Exact amount"),
    ("discount", "Early-payment discount"),
    ("fee", "Bank fee written off"),
    ("partial", "Partial payment"),
    ("overpayment", "Overpayment"),
    ("subset", "Several invoices"),
    ("remittance", "Remittance advice"),
    ("manual", "Picked by hand"),
    ("none", "Other"),
]

# Translatable sentences of the engine's reasons, keyed by reason code; the
# engine's English sentence is shown for a code missing here.
REASON_LABELS = {
    "payer_account": _lt("payer account known"),
    "payer_name_learned": _lt("payer name learned from an earlier match"),
    "reference_pattern": _lt("reference pattern learned"),
    "customer_reference": _lt("customer reference found"),
    "payer_name_similar": _lt("payer name matches customer (%.2f)"),
    "payer_name_label": _lt("customer named in the label (%.2f)"),
    "invoice_number": _lt("invoice number found"),
    "invoice_number_no_prefix": _lt("invoice number found (no prefix)"),
    "invoice_number_typo": _lt("invoice number found (1 typo)"),
    "payment_reference": _lt("payment reference found"),
    "payment_reference_no_prefix": _lt("payment reference found (no prefix)"),
    "payment_reference_typo": _lt("payment reference found (1 typo)"),
    "order_reference": _lt("order reference found"),
    "order_reference_no_prefix": _lt("order reference found (no prefix)"),
    "order_reference_typo": _lt("order reference found (1 typo)"),
    "rf_reference": _lt("RF reference found"),
    "rf_reference_typo": _lt("RF reference found (1 typo)"),
    "references": _lt("%d references found"),
    "amount_exact": _lt("amount exact"),
    "discount": _lt("early-payment discount (%.2f)"),
    "fee": _lt("amount within bank fee tolerance (write-off %.2f)"),
    "partial": _lt("partial payment (%.2f stays open)"),
    "overpayment": _lt("overpayment (%.2f left as customer credit)"),
    "overpayment_unsure": _lt(
        "overpayment (%.2f), or other open items of the customer the search "
        "could not tell"
    ),
    "unique_customer_amount": _lt("only open item of the customer with this amount"),
    "fee_identified": _lt(
        "only item of an identified customer within the fee tolerance"
    ),
    "partial_oldest": _lt("partial payment of the customer's oldest open item"),
    "fee_round": _lt("the difference is a round amount, as bank charges are"),
    "subset": _lt("several invoices add up to the amount"),
    "subset_referenced": _lt("referenced invoices add up to the amount"),
    "subset_referenced_more": _lt(
        "the referenced invoices and other open items of the customer add up to "
        "the amount"
    ),
    "subset_unique": _lt("only such combination (%.4f expected by chance)"),
    "subset_oldest": _lt("combination of the customer's oldest items"),
    "subset_named": _lt(
        "only customer named like the payer whose items add up to the amount"
    ),
    "unique_global": _lt("only open item with this amount"),
    "payer_other_customer": _lt(
        "the payer's name or account points to another customer"
    ),
    "unique_named": _lt(
        "only item with this amount among customers named like the payer (%.4f expected by chance)"
    ),
    "manual": _lt("picked by hand by %s"),
    # remittance advices (engine/remittance.py, REMITTANCE_REASONS)
    "remittance": _lt("remittance advice %(name)s (%(count)s invoices)"),
    "remittance_linked": _lt("linked to this payment"),
    "remittance_reference": _lt("payment reference %s found"),
    "remittance_amount": _lt("same customer and payment amount"),
    "remittance_no_longer_open": _lt(
        "%(invoice)s is no longer open for %(amount).2f: the rest of its payment "
        "stays as customer credit"
    ),
    "remittance_deduction": _lt(
        "deduction of %(amount).2f on %(invoice)s written off (%(reason)s)"
    ),
    "remittance_deduction_open": _lt(
        "deduction of %(amount).2f on %(invoice)s (%(reason)s) is above the write-off "
        "limit: it stays open on the invoice"
    ),
    "remittance_short": _lt(
        "the payment is %.2f less than the advice: the last invoices stay partly open"
    ),
    "remittance_credit": _lt("%.2f more than the advice stays as customer credit"),
    "remittance_ambiguous": _lt(
        "several remittance advices and payments fit: check which is which"
    ),
}

# names of the arguments of reasons whose sentence has several (in order)
REASON_ARGS = {
    "remittance": ("name", "count"),
    "remittance_no_longer_open": ("invoice", "amount"),
    "remittance_deduction": ("amount", "invoice", "reason"),
    "remittance_deduction_open": ("amount", "invoice", "reason"),
}


class OtcCashSuggestion(models.Model):
    _name = "otc.cash.suggestion"
    _description = "Match History"
    _order = "statement_line_id, sequence, id"
    _rec_name = "statement_line_id"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        required=True,
        ondelete="cascade",
        index=True,
    )
    # the line's company, set when the candidate is made: a statement line
    # never changes company, and a field related to it through the line
    # made every import search candidates per line (Odoo rewrites each new
    # line's entry, which touches the line's company)
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        readonly=True,
    )
    sequence = fields.Integer(string="Rank", default=1)
    state = fields.Selection(
        [("proposed", "Proposed"), ("applied", "Applied"), ("rejected", "Rejected")],
        default="proposed",
        required=True,
        index=True,
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    kind = fields.Selection(SUGGESTION_KINDS, default="none", required=True)
    score = fields.Float(string="Confidence (%)", digits=(5, 1))
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        help="Currency of the amounts of this candidate.",
    )
    move_line_ids = fields.Many2many(
        "account.move.line",
        "otc_cash_suggestion_move_line_rel",
        "suggestion_id",
        "move_line_id",
        string="Open Items",
    )
    allocation = fields.Json(
        help="[[journal item id, amount applied], ...] in the candidate's currency"
    )
    amount = fields.Monetary(string="Applied to Items")
    writeoff = fields.Monetary(string="Written Off")
    discount = fields.Monetary()
    credit = fields.Monetary(string="Left as Credit")
    reason_data = fields.Json(help="[[code, args, English text, contribution], ...]")
    reasons = fields.Text(compute="_compute_reasons")
    document_names = fields.Char(string="Documents", compute="_compute_document_names")
    remittance_id = fields.Many2one("otc.remittance", ondelete="set null")
    explanation = fields.Char(
        help="Why the line was not reconciled automatically with this candidate."
    )

    @api.depends("statement_line_id")
    def _compute_company_id(self):
        for suggestion in self:
            suggestion.company_id = suggestion.statement_line_id.company_id

    @api.depends("reason_data")
    def _compute_reasons(self):
        for suggestion in self:
            suggestion.reasons = "\n".join(
                "%s (%+d)" % (text, round(contribution * 100)) if contribution else text
                for text, contribution in suggestion._reason_items()
            )

    @api.depends("move_line_ids")
    def _compute_document_names(self):
        # the review list shows thousands: read the documents' names at once
        amls = self.move_line_ids
        amls.fetch(["move_id"])
        amls.move_id.fetch(["name"])
        for suggestion in self:
            suggestion.document_names = ", ".join(
                suggestion.move_line_ids.move_id.mapped("name")
            )

    def _reason_items(self):
        """(translated sentence, contribution) of each reason."""
        self.ensure_one()
        items = []
        for code, args, text, contribution in self.reason_data or []:
            label = REASON_LABELS.get(code)
            if label is not None:
                translated = str(label)
                try:
                    if code in REASON_ARGS:
                        text = translated % dict(
                            zip(REASON_ARGS[code], args, strict=True)
                        )
                    else:
                        text = (
                            translated % tuple(args)
                            if "%" in translated
                            else translated
                        )
                except (TypeError, ValueError, KeyError):
                    # arguments of an older engine version: keep its sentence
                    _logger.debug("reason %s: arguments %r do not fit", code, args)
            items.append((text, contribution or 0.0))
        return items

    # CRUD ----------------------------------------------------------------------

    @api.model
    def _otc_insert(self, vals_list):
        """Create applied candidates in two statements (one per table).

        An automatic run records one candidate per reconciled line, thousands
        at a time: plain columns, nothing computed, so the ORM's per-record
        create is skipped. ``vals_list`` is what ``create`` would take.
        """
        if not vals_list:
            return self.browse()
        self.env["account.bank.statement.line"].flush_model(["company_id"])
        now = fields.Datetime.now()
        uid = self.env.uid
        # the rows travel as one JSON document: building one SQL fragment per
        # row cost more than the insert itself
        rows = json.dumps(
            [
                {
                    "statement_line_id": vals["statement_line_id"],
                    "sequence": vals["sequence"],
                    "state": vals["state"],
                    "partner_id": vals["partner_id"] or None,
                    "kind": vals["kind"],
                    "score": vals["score"],
                    "currency_id": vals["currency_id"],
                    "allocation": vals["allocation"],
                    "amount": vals["amount"],
                    "writeoff": vals["writeoff"],
                    "discount": vals["discount"],
                    "credit": vals["credit"],
                    "reason_data": vals["reason_data"],
                    "remittance_id": vals.get("remittance_id") or None,
                    "explanation": vals.get("explanation") or None,
                }
                for vals in vals_list
            ]
        )
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    INSERT INTO otc_cash_suggestion (
                        statement_line_id, company_id, sequence, state, partner_id,
                        kind, score, currency_id, allocation, amount, writeoff,
                        discount, credit, reason_data, remittance_id, explanation,
                        create_uid, create_date, write_uid, write_date)
                    SELECT v.statement_line_id, line.company_id, v.sequence,
                           v.state, v.partner_id, v.kind, v.score, v.currency_id,
                           v.allocation, v.amount, v.writeoff, v.discount,
                           v.credit, v.reason_data, v.remittance_id,
                           v.explanation, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM ROWS FROM (
                               jsonb_to_recordset(%(rows)s::jsonb)
                               AS (statement_line_id int, sequence int,
                                   state varchar, partner_id int, kind varchar,
                                   score numeric, currency_id int,
                                   allocation jsonb, amount numeric,
                                   writeoff numeric, discount numeric,
                                   credit numeric, reason_data jsonb,
                                   remittance_id int, explanation varchar)
                           ) WITH ORDINALITY
                           AS v(statement_line_id, sequence, state, partner_id,
                                kind, score, currency_id, allocation, amount,
                                writeoff, discount, credit, reason_data,
                                remittance_id, explanation, position)
                      JOIN account_bank_statement_line line
                        ON line.id = v.statement_line_id
                     ORDER BY v.position
                    RETURNING id
                    """,
                    rows=rows,
                    uid=uid,
                    now=now,
                )
            )
        ]
        if len(ids) != len(vals_list):
            raise UserError(self.env._("A statement line of these candidates is gone."))
        suggestion_ids, aml_ids = [], []
        for suggestion_id, vals in zip(ids, vals_list, strict=True):
            for aml_id, _amount in vals["allocation"]:
                suggestion_ids.append(suggestion_id)
                aml_ids.append(aml_id)
        if aml_ids:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO otc_cash_suggestion_move_line_rel
                           (suggestion_id, move_line_id)
                    SELECT * FROM unnest(%s::int[], %s::int[])
                        ON CONFLICT DO NOTHING
                    """,
                    suggestion_ids,
                    aml_ids,
                )
            )
        return self.browse(ids)

    # actions -----------------------------------------------------------------

    def action_accept(self):
        """Reconcile the statement line with this candidate."""
        self.env["account.bank.statement.line"]._otc_check_cash_access()
        if len(self.statement_line_id) != len(self):
            raise UserError(
                self.env._("Accept one candidate per statement line at a time.")
            )
        for suggestion in self:
            if suggestion.state != "proposed":
                raise UserError(
                    self.env._(
                        "The candidate for %(line)s is no longer proposed.",
                        line=suggestion.statement_line_id.display_name,
                    )
                )
        self.statement_line_id._otc_apply_suggestions(self, origin="manual")
        return True

    def action_reject(self):
        self.env["account.bank.statement.line"]._otc_check_cash_access()
        proposed = self.filtered(lambda s: s.state == "proposed")
        # candidates are read-only for every group: the matcher writes them
        proposed.sudo().state = "rejected"
        lines = proposed.statement_line_id
        left = self.search(
            [("statement_line_id", "in", lines.ids), ("state", "=", "proposed")]
        ).statement_line_id
        (lines - left).filtered(
            lambda line: line.otc_match_state == "suggested"
        )._otc_write_match({"otc_match_state": "unmatched"})
        lines._otc_refresh_best()
        return True

    def _as_proposal(self):
        """This candidate as the engine's typed ``Proposal`` (the way back of
        ``account.bank.statement.line._otc_suggestion_vals``). Its amounts are
        settled again from the invoices when it is applied."""
        self.ensure_one()
        company_currency = self.statement_line_id.company_id.currency_id
        return matching.Proposal(
            customer_id=self.partner_id.id,
            allocations=tuple(tuple(pair) for pair in self.allocation or []),
            kind=self.kind,
            score=self.score / 100.0,
            strength=self.score / 100.0,
            reasons=tuple(
                matching.Reason(text, contribution or 0.0, code, tuple(args or ()))
                for code, args, text, contribution in self.reason_data or []
            ),
            writeoff=self.writeoff,
            discount=self.discount,
            credit=self.credit,
            currency=""
            if self.currency_id == company_currency
            else self.currency_id.name,
            remittance_id=self.remittance_id.id or None,
            suggestion_id=self.id,
        )
