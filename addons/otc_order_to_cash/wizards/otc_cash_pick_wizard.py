from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..engine import matching


class OtcCashPickWizard(models.TransientModel):
    _name = "otc.cash.pick.wizard"
    _description = "Apply a Payment to Invoices Picked by Hand"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", required=True, readonly=True
    )
    company_id = fields.Many2one(related="statement_line_id.company_id")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    payment_amount = fields.Monetary(compute="_compute_currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        domain="[('parent_id', '=', False)]",
    )
    line_ids = fields.One2many("otc.cash.pick.wizard.line", "wizard_id", string="Items")
    applied_amount = fields.Monetary(compute="_compute_difference")
    difference = fields.Monetary(
        compute="_compute_difference",
        help="Positive: more paid than applied, left as customer credit. "
        "Negative: less paid than applied, written off.",
    )
    writeoff_limit = fields.Monetary(related="company_id.otc_cash_writeoff_limit")

    @api.depends("statement_line_id")
    def _compute_currency_id(self):
        for wizard in self:
            line = wizard.statement_line_id
            suspense = line._seek_for_lines()[1]
            wizard.currency_id = (
                suspense.currency_id[:1]
                or line.foreign_currency_id
                or line.journal_id.currency_id
                or line.company_id.currency_id
            )
            wizard.payment_amount = (
                -sum(suspense.mapped("amount_currency")) if suspense else line.amount
            )

    @api.depends("line_ids.amount", "payment_amount")
    def _compute_difference(self):
        for wizard in self:
            wizard.applied_amount = sum(wizard.line_ids.mapped("amount"))
            wizard.difference = wizard.currency_id.round(
                wizard.payment_amount - wizard.applied_amount
            )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        """Offer the customer's open items, the oldest paid first."""
        commands = [Command.clear()]
        if self.partner_id:
            left = self.payment_amount
            for item in self._open_items():
                residual = self._residual(item)
                amount = min(residual, max(left, 0.0))
                left -= amount
                commands.append(
                    Command.create(
                        {
                            "move_line_id": item.id,
                            "residual": residual,
                            "amount": amount,
                        }
                    )
                )
        self.line_ids = commands

    def _open_items(self):
        company_currency = self.company_id.currency_id
        domain = [
            ("company_id", "=", self.company_id.id),
            ("partner_id", "child_of", self.partner_id.commercial_partner_id.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", ">", 0),
        ]
        if self.currency_id != company_currency:
            domain.append(("currency_id", "=", self.currency_id.id))
        return self.env["account.move.line"].search(
            domain, order="date_maturity, id", limit=200
        )

    def _residual(self, item):
        if self.currency_id != self.company_id.currency_id:
            return item.amount_residual_currency
        return item.amount_residual

    def action_apply(self):
        self.ensure_one()
        line = self.statement_line_id
        line._otc_check_cash_access()
        if not self.partner_id:
            raise UserError(self.env._("Choose the customer who paid."))
        picked = self.line_ids.filtered(lambda item: item.amount)
        for item in picked:
            if item.amount < 0:
                raise UserError(
                    self.env._(
                        "%(item)s: the amount applied cannot be negative.",
                        item=item.move_line_id.move_id.name,
                    )
                )
        if not picked and self.difference <= 0:
            raise UserError(self.env._("Enter the amount to apply to each item."))
        difference = self.difference
        proposal = matching.Proposal(
            customer_id=self.partner_id.commercial_partner_id.id,
            allocations=tuple((item.move_line_id.id, item.amount) for item in picked),
            kind="manual",
            score=1.0,
            strength=1.0,
            reasons=(
                matching.Reason("picked by hand", 0.0, "manual", (self.env.user.name,)),
            ),
            writeoff=-difference if difference < 0 else 0.0,
            credit=difference if difference > 0 else 0.0,
            currency=""
            if self.currency_id == line.company_id.currency_id
            else self.currency_id.name,
        )
        line._otc_lock_or_fail()
        applied = line._otc_apply([(line, proposal)], origin="manual", strict=True)
        applied._otc_learn()
        return {"type": "ir.actions.act_window_close"}


class OtcCashPickWizardLine(models.TransientModel):
    _name = "otc.cash.pick.wizard.line"
    _description = "Item Picked to Apply a Payment"

    wizard_id = fields.Many2one(
        "otc.cash.pick.wizard", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    move_line_id = fields.Many2one("account.move.line", string="Item", required=True)
    move_id = fields.Many2one(related="move_line_id.move_id", string="Document")
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due")
    residual = fields.Monetary(string="Open Amount")
    amount = fields.Monetary(string="Apply")
