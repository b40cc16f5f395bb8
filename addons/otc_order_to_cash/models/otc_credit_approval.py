from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount


class OtcCreditApproval(models.Model):
    _name = "otc.credit.approval"
    _description = "Credit Approval Request"
    _inherit = [
        "otc.sequence.mixin",
        "otc.credit.figures.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "id desc"

    order_id = fields.Many2one(
        "sale.order", required=True, readonly=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_company",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_partner_company", store=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    salesperson_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    amount = fields.Monetary(
        string="Order Amount", readonly=True, help="In company currency."
    )
    # the figures when the order was judged (otc.credit.figures.mixin)
    exposure = fields.Monetary(
        string="Exposure before Order", help="In company currency."
    )
    reasons = fields.Text(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    customer_initiated = fields.Boolean(
        readonly=True, help="The customer signed or paid the order on the portal."
    )
    requested_by_id = fields.Many2one("res.users", readonly=True)
    approved_amount = fields.Monetary(
        readonly=True,
        tracking=True,
        help="The approval covers the order up to this amount; a larger order "
        "is checked again.",
    )
    decided_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    decided_on = fields.Datetime(readonly=True)
    rejection_reason = fields.Text(readonly=True, tracking=True)

    @api.depends("order_id.partner_id", "order_id.company_id")
    def _compute_partner_company(self):
        for approval in self:
            approval.partner_id = approval.order_id.partner_id.commercial_partner_id
            approval.company_id = approval.order_id.company_id

    def _otc_check_manager(self):
        if not self.env.user.has_group("otc_order_to_cash.group_otc_credit_manager"):
            raise AccessError(
                self.env._(
                    "Only Credit Managers can approve or reject credit requests."
                )
            )

    def _otc_schedule_review(self):
        for approval in self:
            manager = approval.company_id._otc_get_credit_manager()
            approval.activity_schedule(
                "otc_order_to_cash.mail_activity_type_otc_credit_approval",
                user_id=manager.id or self.env.uid,
                summary=self.env._("Credit approval: %s", approval.order_id.name),
                note=approval.reasons,
            )
            if manager:
                approval.message_subscribe(partner_ids=manager.partner_id.ids)

    def action_approve(self):
        self._otc_check_manager()
        if any(a.state != "pending" for a in self):
            raise UserError(self.env._("Only pending requests can be approved."))
        for approval in self:
            order = approval.order_id
            amount = order._otc_amount_company()
            approval.sudo().write(
                {
                    "state": "approved",
                    "approved_amount": amount,
                    "decided_by_id": self.env.uid,
                    "decided_on": fields.Datetime.now(),
                }
            )
            approval.activity_feedback(
                ["otc_order_to_cash.mail_activity_type_otc_credit_approval"],
                feedback=self.env._("Approved"),
            )
            order.sudo().message_post(
                body=Markup("%s")
                % self.env._(
                    "Credit approved by %(user)s up to %(amount)s.",
                    user=self.env.user.name,
                    amount=approval._format(amount),
                ),
                subtype_xmlid="mail.mt_note",
                partner_ids=order.user_id.partner_id.ids,
            )
            if order.state in ("draft", "sent"):
                ctx = {"send_email": True} if approval.customer_initiated else {}
                order.sudo().with_context(**ctx).action_confirm()
            order.sudo().otc_credit_state = "approved"
        return True

    def action_reject(self):
        self._otc_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Credit Request"),
            "res_model": "otc.credit.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_approval_ids": self.ids},
        }

    def _otc_reject(self, reason):
        self._otc_check_manager()
        if not reason or not reason.strip():
            raise UserError(self.env._("Give the reason of the rejection."))
        if any(a.state != "pending" for a in self):
            raise UserError(self.env._("Only pending requests can be rejected."))
        for approval in self:
            approval.sudo().write(
                {
                    "state": "rejected",
                    "rejection_reason": reason,
                    "decided_by_id": self.env.uid,
                    "decided_on": fields.Datetime.now(),
                }
            )
            approval.activity_feedback(
                ["otc_order_to_cash.mail_activity_type_otc_credit_approval"],
                feedback=self.env._("Rejected: %s", reason),
            )
            order = approval.order_id.sudo()
            order.otc_credit_state = "rejected"
            order.message_post(
                body=self.env._(
                    "Credit rejected by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
                partner_ids=order.user_id.partner_id.ids,
            )
        return True

    def action_open_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.order_id.id,
            "view_mode": "form",
        }

    def _format(self, amount):
        return format_amount(self.env, amount, self.currency_id)
