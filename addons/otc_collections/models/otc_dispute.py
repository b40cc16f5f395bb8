from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, format_amount


class OtcDispute(models.Model):
    """A customer's dispute on an invoice, whole or partial.

    While a dispute is open its invoice stays out of dunning. Resolving it in
    the customer's favour issues a credit note for the disputed amount through
    Odoo's own reversal and reconciles it with the invoice; rejecting it sends
    the invoice back to dunning.
    """

    _name = "otc.dispute"
    _description = "Invoice Dispute"
    _inherit = ["otc.sequence.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "deadline, id desc"

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'not in', ('paid', 'reversed'))]",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        related="move_id.commercial_partner_id",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    invoice_amount = fields.Monetary(
        related="move_id.amount_total", string="Invoice Total"
    )
    invoice_residual = fields.Monetary(
        related="move_id.amount_residual", string="Invoice Amount Due"
    )
    disputed_amount = fields.Monetary(required=True, tracking=True)
    reason_id = fields.Many2one(
        "otc.dispute.reason", required=True, tracking=True, ondelete="restrict"
    )
    description = fields.Html()
    owner_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("resolved", "Resolved: Credit Note"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    deadline = fields.Date(
        compute="_compute_deadline", store=True, readonly=False, tracking=True
    )
    is_late = fields.Boolean(compute="_compute_is_late")
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False)
    otc_return_id = fields.Many2one(
        "otc.return",
        string="Resolved by Return",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    resolution_note = fields.Text(readonly=True, tracking=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    resolved_on = fields.Datetime(readonly=True, copy=False)

    @api.depends("reason_id", "create_date")
    def _compute_deadline(self):
        for dispute in self:
            start = (dispute.create_date or fields.Datetime.now()).date()
            dispute.deadline = start + timedelta(days=dispute.reason_id.sla_days or 0)

    def _compute_is_late(self):
        today = fields.Date.context_today(self)
        for dispute in self:
            dispute.is_late = bool(
                dispute.state == "open"
                and dispute.deadline
                and dispute.deadline < today
            )

    @api.constrains("move_id", "disputed_amount")
    def _check_amount(self):
        for dispute in self.filtered(lambda d: d.state == "open"):
            move = dispute.move_id
            if dispute.currency_id.compare_amounts(dispute.disputed_amount, 0) <= 0:
                raise ValidationError(
                    self.env._("The disputed amount must be positive.")
                )
            if move.move_type != "out_invoice" or move.state != "posted":
                raise ValidationError(
                    self.env._("Only posted customer invoices can be disputed.")
                )
            if (
                float_compare(
                    dispute.disputed_amount,
                    move.amount_residual,
                    precision_rounding=move.currency_id.rounding,
                )
                > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The disputed amount (%(disputed)s) exceeds what is due on %(invoice)s (%(due)s).",
                        disputed=format_amount(
                            self.env, dispute.disputed_amount, move.currency_id
                        ),
                        invoice=move.name,
                        due=format_amount(
                            self.env, move.amount_residual, move.currency_id
                        ),
                    )
                )

    @api.onchange("move_id")
    def _onchange_move_id(self):
        if self.move_id and not self.disputed_amount:
            self.disputed_amount = self.move_id.amount_residual

    @api.model_create_multi
    def create(self, vals_list):
        disputes = super().create(vals_list)
        for dispute in disputes:
            dispute._schedule_follow_up()
            dispute.move_id.message_post(
                body=self.env._(
                    "Dispute %(name)s opened for %(amount)s: %(reason)s",
                    name=dispute.name,
                    amount=format_amount(
                        self.env, dispute.disputed_amount, dispute.currency_id
                    ),
                    reason=dispute.reason_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return disputes

    def _schedule_follow_up(self):
        for dispute in self:
            dispute.activity_schedule(
                "otc_collections.mail_activity_type_otc_dispute",
                date_deadline=dispute.deadline,
                user_id=(dispute.owner_id or self.env.user).id,
                summary=self.env._("Resolve dispute %s", dispute.name),
            )

    def _check_can_decide(self):
        if not self.env.user.has_group("otc_order_to_cash.group_otc_collector"):
            raise AccessError(
                self.env._(
                    "Only Collectors and Credit Managers can resolve or reject disputes."
                )
            )
        if any(dispute.state != "open" for dispute in self):
            raise UserError(
                self.env._("Only open disputes can be resolved or rejected.")
            )

    def action_resolve_credit_note(self):
        """Resolve in the customer's favour: credit note for the disputed amount."""
        self._check_can_decide()
        for dispute in self:
            dispute._check_amount()
            credit_note = dispute._create_credit_note()
            dispute.write(
                {
                    "state": "resolved",
                    "credit_note_id": credit_note.id,
                    "resolved_by_id": self.env.uid,
                    "resolved_on": fields.Datetime.now(),
                }
            )
            dispute._close_activities(
                self.env._("Resolved with credit note %s", credit_note.name)
            )
            dispute.move_id.message_post(
                body=Markup("%s")
                % self.env._(
                    "Dispute %(name)s resolved: credit note %(credit_note)s.",
                    name=dispute.name,
                    credit_note=credit_note.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _create_credit_note(self):
        """Reverse the invoice through Odoo, scaled to the disputed amount, and reconcile."""
        self.ensure_one()
        invoice = self.move_id
        full = float_is_zero(
            invoice.amount_total - self.disputed_amount,
            precision_rounding=invoice.currency_id.rounding,
        )
        credit_note = invoice._reverse_moves(
            [
                {
                    "ref": self.env._(
                        "Dispute %(name)s on %(invoice)s",
                        name=self.name,
                        invoice=invoice.name,
                    ),
                    "invoice_date": fields.Date.context_today(self),
                    "date": fields.Date.context_today(self),
                }
            ]
        )
        if not full:
            # Same products, taxes and accounts as the invoice, for the disputed
            # share of it.
            ratio = self.disputed_amount / invoice.amount_total
            for line in credit_note.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ):
                line.price_unit *= ratio
        credit_note.action_post()
        (invoice.line_ids | credit_note.line_ids).filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
            )
        ).reconcile()
        return credit_note

    def action_reject(self):
        self._check_can_decide()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Dispute"),
            "res_model": "otc.dispute.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_ids": self.ids},
        }

    def _reject(self, note):
        self._check_can_decide()
        if not (note or "").strip():
            raise UserError(self.env._("Give the reason of the rejection."))
        for dispute in self:
            dispute.write(
                {
                    "state": "rejected",
                    "resolution_note": note.strip(),
                    "resolved_by_id": self.env.uid,
                    "resolved_on": fields.Datetime.now(),
                }
            )
            dispute._close_activities(self.env._("Rejected: %s", note.strip()))
            dispute.move_id.message_post(
                body=self.env._(
                    "Dispute %(name)s rejected: %(note)s. The invoice is back in dunning.",
                    name=dispute.name,
                    note=note.strip(),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_cancel(self):
        self._check_can_decide()
        self.write({"state": "cancelled"})
        self._close_activities(self.env._("Cancelled"))
        return True

    def _close_activities(self, feedback):
        self.activity_feedback(
            ["otc_collections.mail_activity_type_otc_dispute"], feedback=feedback
        )

    def action_open_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }
