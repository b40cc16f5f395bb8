from odoo import fields, models

from ..engine import allocation as allocation_engine


class OtcPaymentRequestLine(models.Model):
    _name = "otc.payment.request.line"
    _description = "Payment Request Document"
    _order = "request_id, sequence, id"

    request_id = fields.Many2one(
        "otc.payment.request", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    move_id = fields.Many2one(
        "account.move", string="Document", required=True, ondelete="cascade", index=True
    )
    kind = fields.Selection(
        [
            (allocation_engine.INVOICE, "Invoice"),
            (allocation_engine.CREDIT_NOTE, "Credit Note"),
        ],
        required=True,
    )
    currency_id = fields.Many2one(related="request_id.currency_id")
    company_id = fields.Many2one(related="request_id.company_id", store=True)
    partner_id = fields.Many2one(related="request_id.partner_id", store=True)
    amount = fields.Monetary(
        required=True, help="Paid on this document (deducted, for a credit note)."
    )
    residual = fields.Monetary(
        string="Due when Requested", help="What was open on the document then."
    )
    date = fields.Date(related="move_id.invoice_date", string="Date")
    due_date = fields.Date(related="move_id.invoice_date_due")
    amount_residual = fields.Monetary(
        related="move_id.amount_residual", string="Due Now"
    )
