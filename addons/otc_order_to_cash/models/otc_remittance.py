from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine import remittance as remittance_engine
from ..engine import settlement

# a payment reference shorter than this is too common to identify a payment
MIN_REFERENCE_KEY = 4
HOW_LINKED, HOW_REFERENCE, HOW_AMOUNT = (
    remittance_engine.HOW_LINKED,
    remittance_engine.HOW_REFERENCE,
    remittance_engine.HOW_AMOUNT,
)


def reference_key(reference):
    """ASCII letters and digits of a payment reference, upper case.

    The hook compares it with the same form of a statement line's label,
    computed in SQL (``regexp_replace(upper(...), '[^A-Z0-9]', '')``).
    """
    return "".join(c for c in (reference or "").upper() if c.isascii() and c.isalnum())


class OtcRemittance(models.Model):
    """Remittance advice: how a customer's payment splits over its invoices.

    Imported from the customer's file (``otc.remittance.import``), it waits
    for its payment: a bank statement line, linked at import or found by the
    cash-application matcher through ``_otc_proposals_for_lines``, which
    turns it into a proposal the matcher applies (state ``applied``).
    """

    _name = "otc.remittance"
    _description = "Remittance Advice"
    _inherit = ["otc.sequence.mixin", "mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    date = fields.Date(
        string="Payment Date",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
    )
    payment_reference = fields.Char(
        tracking=True,
        help="The customer's reference of the payment, as quoted on the bank "
        "statement: the matcher looks for it in the statement lines' labels.",
    )
    payment_reference_key = fields.Char(
        compute="_compute_payment_reference_key", store=True, index="btree_not_null"
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    amount_total = fields.Monetary(
        string="Payment Amount",
        tracking=True,
        help="What the customer paid: the sum of the amounts paid on the invoices.",
    )
    amount_paid = fields.Monetary(
        string="Paid on Invoices", compute="_compute_amounts", store=True
    )
    amount_deductions = fields.Monetary(
        string="Deductions", compute="_compute_amounts", store=True
    )
    line_count = fields.Integer(
        string="Invoices", compute="_compute_amounts", store=True
    )
    state = fields.Selection(
        [
            ("draft", "Waiting for Payment"),
            ("matched", "Payment Linked"),
            ("applied", "Applied"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Payment",
        copy=False,
        index="btree_not_null",
        tracking=True,
        ondelete="set null",
        check_company=True,
        domain="[('company_id', '=', company_id), ('amount', '>', 0), "
        "('is_reconciled', '=', False)]",
        help="The bank statement line of the payment this advice explains.",
    )
    line_ids = fields.One2many(
        "otc.remittance.line", "remittance_id", string="Lines", copy=True
    )
    file_name = fields.Char(readonly=True)
    note = fields.Text()

    @api.depends("payment_reference")
    def _compute_payment_reference_key(self):
        for remittance in self:
            key = reference_key(remittance.payment_reference)
            remittance.payment_reference_key = (
                key if len(key) >= MIN_REFERENCE_KEY else False
            )

    @api.depends("line_ids.amount_paid", "line_ids.amount_deduction")
    def _compute_amounts(self):
        for remittance in self:
            remittance.amount_paid = sum(remittance.line_ids.mapped("amount_paid"))
            remittance.amount_deductions = sum(
                remittance.line_ids.mapped("amount_deduction")
            )
            remittance.line_count = len(remittance.line_ids)

    @api.constrains("statement_line_id", "state")
    def _check_statement_line(self):
        for remittance in self.filtered("statement_line_id"):
            others = self.search_count(
                [
                    ("statement_line_id", "=", remittance.statement_line_id.id),
                    ("state", "!=", "cancelled"),
                    ("id", "!=", remittance.id),
                ]
            )
            if others and remittance.state != "cancelled":
                raise ValidationError(
                    self.env._(
                        "The payment %(payment)s is already explained by another "
                        "remittance advice.",
                        payment=remittance.statement_line_id.display_name,
                    )
                )

    def write(self, vals):
        if "statement_line_id" in vals and "state" not in vals:
            linked = bool(vals["statement_line_id"])
            applied = self.filtered(lambda r: r.state == "applied")
            if applied:
                raise UserError(
                    self.env._(
                        "%(names)s is applied: undo the reconciliation of its "
                        "payment first.",
                        names=", ".join(applied.mapped("name")),
                    )
                )
            res = super().write(vals)
            moving = self.filtered(
                lambda r: r.state == ("draft" if linked else "matched")
            )
            if moving:
                moving.state = "matched" if linked else "draft"
            return res
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_applied(self):
        if any(r.state == "applied" for r in self):
            raise UserError(
                self.env._(
                    "An applied remittance advice cannot be deleted: undo the "
                    "reconciliation of its payment first."
                )
            )

    # actions ---------------------------------------------------------------------

    def action_otc_match(self):
        """Match the linked payment now (the matcher applies this advice)."""
        self.ensure_one()
        if self.state not in ("draft", "matched") or not self.statement_line_id:
            raise UserError(
                self.env._(
                    "Link the advice to its payment (a bank statement line) first."
                )
            )
        if self.statement_line_id.is_reconciled:
            raise UserError(
                self.env._(
                    "The payment %(payment)s is already reconciled.",
                    payment=self.statement_line_id.display_name,
                )
            )
        return self.statement_line_id.action_otc_match()

    def action_cancel(self):
        if any(r.state == "applied" for r in self):
            raise UserError(
                self.env._(
                    "An applied remittance advice cannot be cancelled: undo the "
                    "reconciliation of its payment first."
                )
            )
        self.write({"state": "cancelled"})
        return True

    def action_draft(self):
        for remittance in self.filtered(lambda r: r.state == "cancelled"):
            remittance.state = "matched" if remittance.statement_line_id else "draft"
        return True

    def action_open_statement_line(self):
        self.ensure_one()
        return self.statement_line_id.action_otc_open_review()

    # the matcher's hook ------------------------------------------------------------

    @api.model
    def _otc_proposals_for_lines(self, statement_lines):
        """Proposals of the remittance advices that explain these payments.

        Returns ``{statement line id: matching.Proposal}`` for the lines an advice waiting for its payment
        (draft or matched) explains: the advice is linked to the line, or,
        not linked to any, its customer (when the line names one) and payment
        amount are the line's and its payment reference, if any, is quoted in
        the line's label or reference (letters and digits compared).  An
        advice without reference needs the line's customer.  One query finds
        the candidates of all the lines.

        Certainty (``engine/remittance.allocate``): linked or reference found
        0.97, customer and amount only 0.9; when several advices fit a line
        (or one advice several lines) the best kind is kept at 0.6, so that a
        person chooses.
        """
        lines = statement_lines.filtered(lambda line: line.amount > 0)
        if not lines:
            return {}
        self.flush_model()
        lines.flush_model(
            [
                "amount",
                "amount_currency",
                "foreign_currency_id",
                "currency_id",
                "partner_id",
                "payment_ref",
                "company_id",
            ]
        )
        self.env["account.move"].flush_model(["ref"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT st.id, rem.id,
                       COALESCE(rem.statement_line_id = st.id, FALSE),
                       rem.payment_reference_key IS NOT NULL AND strpos(
                           regexp_replace(
                               upper(COALESCE(st.payment_ref, '') || ' '
                                     || COALESCE(move.ref, '')),
                               '[^A-Z0-9]', '', 'g'),
                           rem.payment_reference_key) > 0
                  FROM account_bank_statement_line st
                  JOIN account_move move ON move.id = st.move_id
                  LEFT JOIN res_partner partner ON partner.id = st.partner_id
                  JOIN otc_remittance rem
                    ON rem.company_id = st.company_id
                   AND rem.state IN ('draft', 'matched')
                  JOIN res_currency cur ON cur.id = rem.currency_id
                 WHERE st.id = ANY(%(ids)s)
                   AND (
                       rem.statement_line_id = st.id
                       OR (
                           rem.statement_line_id IS NULL
                           AND (st.partner_id IS NULL
                                OR partner.commercial_partner_id = rem.partner_id)
                           AND (
                               (rem.currency_id = st.foreign_currency_id
                                AND ABS(rem.amount_total - st.amount_currency)
                                    < cur.rounding / 2)
                               OR (rem.currency_id = st.currency_id
                                   AND ABS(rem.amount_total - st.amount)
                                       < cur.rounding / 2)
                           )
                           AND (
                               (rem.payment_reference_key IS NULL
                                AND st.partner_id IS NOT NULL)
                               OR strpos(
                                   regexp_replace(
                                       upper(COALESCE(st.payment_ref, '') || ' '
                                             || COALESCE(move.ref, '')),
                                       '[^A-Z0-9]', '', 'g'),
                                   rem.payment_reference_key) > 0
                           )
                       )
                   )
                 ORDER BY st.id, rem.id
                """,
                ids=lines.ids,
            )
        )
        candidates = {}  # line id -> [(how, remittance id)]
        lines_of = {}  # remittance id -> line ids it may explain (not linked)
        for line_id, remittance_id, linked, found in rows:
            how = HOW_LINKED if linked else HOW_REFERENCE if found else HOW_AMOUNT
            candidates.setdefault(line_id, []).append((how, remittance_id))
            if not linked:
                lines_of.setdefault(remittance_id, set()).add(line_id)
        remittances = self.browse(
            {rid for pairs in candidates.values() for _h, rid in pairs}
        )
        remittances.line_ids.move_line_id.fetch(
            [
                "amount_residual",
                "amount_residual_currency",
                "currency_id",
                "reconciled",
                "parent_state",
                "move_id",
            ]
        )
        proposals = {}
        for line in lines.filtered(lambda st: st.id in candidates):
            pairs = candidates[line.id]
            best = max(how for how, _rid in pairs)
            chosen = [rid for how, rid in pairs if how == best]
            ambiguous = len(chosen) > 1 or (
                best != HOW_LINKED and len(lines_of.get(chosen[0], ())) > 1
            )
            remittance = self.browse(chosen[0])
            proposal = remittance._otc_proposal(line, best, ambiguous)
            if proposal:
                proposals[line.id] = proposal
        return proposals

    def _otc_line_amount(self, statement_line):
        """The statement line's amount in this advice's currency, or None."""
        self.ensure_one()
        return settlement.amount_in_currency(
            self.currency_id.name,
            amount=statement_line.amount,
            journal_currency=statement_line.currency_id.name,
            foreign_currency=statement_line.foreign_currency_id.name or "",
            amount_foreign=statement_line.amount_currency,
        )

    def _otc_writeoff_budget(self):
        """Largest total written off on this advice's payment, in its currency."""
        self.ensure_one()
        company = self.company_id
        if not getattr(company, "otc_cash_writeoff_account_id", False):
            return 0.0
        limit = getattr(company, "otc_cash_writeoff_limit", 0.0) or 0.0
        if self.currency_id != company.currency_id:
            limit = company.currency_id._convert(
                limit, self.currency_id, company, self.date or fields.Date.today()
            )
        return limit

    def _otc_proposal(self, statement_line, how, ambiguous=False):
        """The ``matching.Proposal`` applying this advice to ``statement_line``.

        The rows as they stand (each item's open amount now) and the payment
        go to ``engine/remittance.allocate``, which splits the payment and
        scores the advice; the statement line's matcher decides with it like
        with any other proposal.
        """
        self.ensure_one()
        amount = self._otc_line_amount(statement_line)
        if amount is None:
            return None
        currency = self.currency_id
        rows = [
            remittance_engine.AdviceRow(
                item_id=rline.move_line_id.id,
                label=rline._otc_label(),
                paid=rline.amount_paid,
                deduction=rline.amount_deduction,
                deduction_reason=rline.deduction_reason or "",
                residual=rline._otc_open_amount(),
            )
            for rline in self.line_ids.sorted(lambda r: (r.row, r.id))
        ]
        return remittance_engine.allocate(
            rows,
            amount,
            customer_id=self.partner_id.commercial_partner_id.id,
            how=how,
            ambiguous=ambiguous,
            writeoff_budget=self._otc_writeoff_budget(),
            currency="" if currency == self.company_id.currency_id else currency.name,
            digits=currency.decimal_places,
            name=self.name,
            payment_reference=self.payment_reference or "",
            remittance_id=self.id,
        )

    @api.model
    def _otc_mark_applied(self, line_of):
        """The matcher applied these advices: ``{advice id: statement line id}``.

        Called once per run by the statement lines' apply step (the line
        calls the advice, never the other way round); one write per state
        change and one batch of chatter notes.
        """
        remittances = self.browse(list(line_of))
        lines = self.env["account.bank.statement.line"].browse(list(line_of.values()))
        lines.fetch(["move_id"])
        by_line = {}
        for remittance in remittances:
            by_line.setdefault(line_of[remittance.id], self.browse())
            by_line[line_of[remittance.id]] |= remittance
        for line_id, group in by_line.items():
            group.write({"statement_line_id": line_id, "state": "applied"})
        bodies = {
            remittance.id: self.env._(
                "Applied to the payment %(payment)s: %(amount)s on %(count)s invoices.",
                payment=lines.browse(line_of[remittance.id]).display_name,
                amount=remittance.currency_id.format(remittance.amount_paid),
                count=remittance.line_count,
            )
            for remittance in remittances
        }
        remittances._message_log_batch(bodies=bodies)
        return True

    @api.model
    def _otc_engine_field_labels(self):
        """Translated names of the engine's fields, for error messages."""
        return {
            remittance_engine.INVOICE: self.env._("invoice reference"),
            remittance_engine.AMOUNT: self.env._("amount paid"),
            remittance_engine.DEDUCTION: self.env._("deduction"),
            remittance_engine.DEDUCTION_REASON: self.env._("deduction reason"),
            remittance_engine.PAYMENT_REFERENCE: self.env._("payment reference"),
            remittance_engine.PAYMENT_DATE: self.env._("payment date"),
        }
