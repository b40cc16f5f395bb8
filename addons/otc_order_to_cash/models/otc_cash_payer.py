import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import learning


class OtcCashPayer(models.Model):
    """What identified a customer in a payment a person confirmed."""

    _name = "otc.cash.payer"
    _description = "Known Payer"
    _inherit = ["mail.thread"]
    _order = "partner_id, kind, id"
    _rec_name = "value"

    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    kind = fields.Selection(
        [
            ("account", "Payer account"),
            ("name", "Payer name"),
            ("pattern", "Reference pattern"),
        ],
        required=True,
    )
    value = fields.Char(
        required=True,
        tracking=True,
        help="Account number, payer name as printed by the bank, or a regular "
        "expression found in the payment's label or reference.",
    )
    key = fields.Char(
        compute="_compute_key", store=True, index=True, help="Normalised value."
    )
    confirmed_count = fields.Integer(string="Confirmations", default=1)
    last_confirmed = fields.Date(default=fields.Date.context_today)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Learned From",
        ondelete="set null",
    )

    _sql_constraints = [
        (
            "key_unique",
            "unique(company_id, kind, key, partner_id)",
            "This payer is already known for this customer.",
        ),
    ]

    @api.depends("kind", "value")
    def _compute_key(self):
        for payer in self:
            if payer.kind == "account":
                payer.key = learning.account_key(payer.value)
            elif payer.kind == "name":
                payer.key = learning.name_key(payer.value)
            else:
                payer.key = payer.value

    @api.constrains("kind", "value")
    def _check_value(self):
        for payer in self:
            if payer.kind == "pattern":
                try:
                    re.compile(payer.value)
                except re.error as error:
                    raise ValidationError(
                        self.env._(
                            "%(value)s is not a valid regular expression: %(error)s",
                            value=payer.value,
                            error=error,
                        )
                    ) from error
                # patterns run on labels the payer writes: only a form that
                # cannot backtrack without end is accepted
                problem = learning.pattern_problem(payer.value)
                if problem:
                    raise ValidationError(
                        self.env._(
                            "%(value)s could make matching slow on some labels "
                            "(%(why)s). Use at most %(length)s characters, no "
                            "back-references, no repeat or alternative inside a "
                            "repeated group and at most %(open)s open-ended repeats "
                            "(*, + or more than %(bound)s).",
                            value=payer.value,
                            why=self._otc_pattern_problem_label(problem),
                            length=learning.MAX_PATTERN_LENGTH,
                            open=learning.MAX_OPEN_REPEATS,
                            bound=learning.OPEN_REPEAT,
                        )
                    )
            elif not payer.key:
                raise ValidationError(
                    self.env._("%(value)s identifies nobody.", value=payer.value)
                )

    @api.model
    def _otc_pattern_problem_label(self, problem):
        return {
            learning.P_SYNTAX: self.env._("not a regular expression"),
            learning.P_LENGTH: self.env._("too long"),
            learning.P_BACKREF: self.env._("back-reference"),
            learning.P_NESTED: self.env._("repeat inside a repeated group"),
            learning.P_OPEN: self.env._("too many open-ended repeats"),
        }.get(problem, problem)

    @api.model
    def _otc_known_payers(self, company):
        """(accounts, names, patterns) the matcher trusts for ``company``.

        Accounts come from the customers' bank accounts (``res.partner.bank``)
        and from learned payer accounts; a key that names two customers is
        dropped (``learning.conflicts``).
        """
        self.env["res.partner.bank"].flush_model(["acc_number", "partner_id", "active"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        # the companies' own accounts are transfers, never customers
        rows = self.env.execute_query(
            SQL(
                """
                SELECT bank.acc_number, partner.commercial_partner_id
                  FROM res_partner_bank bank
                  JOIN res_partner partner ON partner.id = bank.partner_id
                 WHERE bank.active
                   AND (bank.company_id IS NULL OR bank.company_id = %s)
                   AND partner.commercial_partner_id NOT IN (
                       SELECT partner_id FROM res_company)
                """,
                company.id,
            )
        )
        account_facts = [(learning.account_key(acc), cust) for acc, cust in rows if acc]
        learned = self.search_fetch(
            [("company_id", "=", company.id)], ["kind", "key", "partner_id"]
        )
        name_facts, patterns = [], []
        for payer in learned:
            if payer.kind == "account":
                account_facts.append((payer.key, payer.partner_id.id))
            elif payer.kind == "name":
                name_facts.append((payer.key, payer.partner_id.id))
            else:
                patterns.append((payer.key, payer.partner_id.id))
        accounts = _without_conflicts(account_facts)
        names = _without_conflicts(name_facts)
        return accounts, names, tuple(patterns)


def _without_conflicts(facts):
    bad = learning.conflicts(facts)
    return {key: cust for key, cust in facts if key and key not in bad}
