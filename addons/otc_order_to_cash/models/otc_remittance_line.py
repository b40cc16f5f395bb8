from odoo import api, fields, models


class OtcRemittanceLine(models.Model):
    """One row of a remittance advice: what the customer paid on one invoice."""

    _name = "otc.remittance.line"
    _description = "Remittance Advice Line"
    _order = "remittance_id, row, id"
    _rec_name = "invoice_reference"

    remittance_id = fields.Many2one(
        "otc.remittance",
        string="Remittance Advice",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="remittance_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="remittance_id.partner_id")
    currency_id = fields.Many2one(related="remittance_id.currency_id")
    row = fields.Integer(string="File Row", help="Row of the line in the file.")
    invoice_reference = fields.Char(
        required=True, help="The invoice as the customer quoted it."
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Receivable Item",
        index="btree_not_null",
        ondelete="set null",
        help="The open receivable item of the invoice the row pays.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        related="move_line_id.move_id",
        store=True,
        index="btree_not_null",
    )
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due Date")
    amount_paid = fields.Monetary(help="Paid on the invoice, after the deduction.")
    amount_deduction = fields.Monetary(
        string="Deduction", help="Deducted by the customer from the invoice."
    )
    deduction_reason = fields.Char()
    amount_residual = fields.Monetary(
        string="Open Amount",
        compute="_compute_amount_residual",
        help="What is still open on the invoice, in the advice's currency.",
    )

    @api.depends(
        "move_line_id.amount_residual",
        "move_line_id.amount_residual_currency",
        "move_line_id.reconciled",
        "currency_id",
    )
    def _compute_amount_residual(self):
        for line in self:
            line.amount_residual = line._otc_open_amount()

    def _otc_open_amount(self):
        """Open amount of the item in the advice's currency (0 when settled)."""
        self.ensure_one()
        item = self.move_line_id
        if not item or item.reconciled or item.parent_state != "posted":
            return 0.0
        currency = self.remittance_id.currency_id
        company_currency = self.remittance_id.company_id.currency_id
        if item.currency_id == currency and currency != company_currency:
            return max(item.amount_residual_currency, 0.0)
        return max(item.amount_residual, 0.0)

    def _otc_label(self):
        self.ensure_one()
        return self.move_id.name or self.invoice_reference
