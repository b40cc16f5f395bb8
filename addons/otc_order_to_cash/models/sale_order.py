from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..engine import credit as credit_engine
from .res_partner import INTERNAL_GROUPS


class ServerValue(str):
    """A context value that only server code can make.

    The credit check reads a few context keys (the state to record with a
    confirmation, whether the customer confirmed, which orders were checked
    already). Any RPC caller can put any JSON in its context, so those keys
    are honoured only when their value is an instance of this class: JSON
    and XML-RPC decode to plain ``str``, never to it, while server code's
    ``with_context`` keeps the instance. Being a ``str`` it still serialises
    (as its text) wherever Odoo copies a context into an action or a mail.
    """

    order_ids = frozenset()


def server_value(value="1", order_ids=()):
    marker = ServerValue(value)
    marker.order_ids = frozenset(order_ids)
    return marker


def from_server(context, key):
    """The value of ``key`` if server code set it, else None."""
    value = context.get(key)
    return value if isinstance(value, ServerValue) else None


class SaleOrder(models.Model):
    _inherit = "sale.order"

    otc_credit_state = fields.Selection(
        [
            ("ok", "Passed"),
            ("warning", "Confirmed despite Warning"),
            ("pending", "Awaiting Credit Approval"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="Credit Check",
        copy=False,
        readonly=True,
        groups=INTERNAL_GROUPS,
    )
    otc_credit_approval_ids = fields.One2many(
        "otc.credit.approval",
        "order_id",
        string="Credit Approvals",
        copy=False,
        groups=INTERNAL_GROUPS,
    )
    otc_company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    otc_return_ids = fields.One2many(
        "otc.return",
        "sale_order_id",
        string="Returns",
        copy=False,
        groups="sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_return_count = fields.Integer(
        compute="_compute_otc_return_count",
        groups="sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_amount_company = fields.Monetary(
        string="Total in Company Currency",
        compute="_compute_otc_credit_info",
        currency_field="otc_company_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_partner_credit_limit = fields.Monetary(
        string="Customer Credit Limit",
        compute="_compute_otc_credit_info",
        currency_field="otc_company_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_partner_exposure = fields.Monetary(
        string="Customer Exposure",
        compute="_compute_otc_credit_info",
        currency_field="otc_company_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_partner_available_credit = fields.Monetary(
        string="Available Credit",
        compute="_compute_otc_credit_info",
        currency_field="otc_company_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_warning = fields.Text(
        string="Credit Warning",
        compute="_compute_otc_credit_info",
        groups=INTERNAL_GROUPS,
    )

    @api.depends_context("company")
    @api.depends("partner_id", "company_id", "amount_total", "currency_rate", "state")
    def _compute_otc_credit_info(self):
        orders = self.filtered(lambda o: o.partner_id and o.company_id)
        (self - orders).update(
            {
                "otc_amount_company": 0.0,
                "otc_partner_credit_limit": 0.0,
                "otc_partner_exposure": 0.0,
                "otc_partner_available_credit": 0.0,
                "otc_credit_warning": False,
            }
        )
        if not orders:
            return
        drafts = orders.filtered(lambda o: o.state in ("draft", "sent") and o.id)
        decisions = drafts._otc_credit_evaluate() if drafts else {}
        Figures = self.env["otc.credit.figures.mixin"]
        for company, company_orders in orders.grouped("company_id").items():
            exposures = self.env["otc.credit.exposure"]._get_exposure(
                company_orders.partner_id, company
            )
            for order in company_orders:
                exp = exposures.get(order.partner_id._origin.id)
                if not exp:
                    order.update(
                        {
                            "otc_amount_company": order._otc_amount_company(),
                            "otc_partner_credit_limit": 0.0,
                            "otc_partner_exposure": 0.0,
                            "otc_partner_available_credit": 0.0,
                            "otc_credit_warning": False,
                        }
                    )
                    continue
                profile = exp.profile()
                figures = Figures._otc_figure_values(exp, limit=profile.limit)
                decision = decisions.get(order.id)
                order.otc_amount_company = order._otc_amount_company()
                order.otc_partner_credit_limit = figures["credit_limit"]
                order.otc_partner_exposure = figures["exposure"]
                order.otc_partner_available_credit = figures["available_credit"]
                order.otc_credit_warning = (
                    order._otc_decision_message(decision)
                    if decision and not decision.passed
                    else False
                )

    def _otc_amount_company(self):
        self.ensure_one()
        return self.amount_total / (self.currency_rate or 1.0)

    def _otc_approved_amounts(self):
        """{order id: amount its last approval covers}, for approved orders."""
        approvals = (
            self.env["otc.credit.approval"]
            .sudo()
            .search_fetch(
                [("order_id", "in", self.ids), ("state", "=", "approved")],
                ["order_id", "approved_amount"],
                order="decided_on, id",
            )
        )
        return {a.order_id.id: a.approved_amount for a in approvals}

    def _otc_credit_evaluate(self, increases=None):
        """Credit decisions for these orders, computed set-based per company.

        Draft orders are judged on their whole amount. Confirmed orders listed
        in ``increases`` ({order id: increase in company currency}) are judged
        on the increase only, their new total being in the exposure already.

        :return: {order id: credit_engine.Decision}
        """
        increases = increases or {}
        today = fields.Date.context_today(self)
        decisions = {}
        for company, orders in self.grouped("company_id").items():
            # Company switches and rounding come with the exposure: the check
            # reads no record it would not read anyway.
            exposures = self.env["otc.credit.exposure"]._get_exposure(
                orders.partner_id, company, today=today
            )
            # Orders confirmed together add up for the same customer.
            batch = {}
            approved = None
            for order in orders:
                exp = exposures[order.partner_id.id]
                if not exp.credit_check:
                    decisions[order.id] = credit_engine.Decision("pass")
                    continue
                commercial_id = exp.commercial_partner_id
                precision = exp.rounding
                total = order._otc_amount_company()
                if order.id in increases:
                    amount = increases[order.id]
                    exposure = exp.exposure - amount
                else:
                    amount = total
                    exposure = exp.exposure
                args = (
                    exp.profile(),
                    exposure + batch.get(commercial_id, 0.0),
                    amount,
                    credit_engine.overdue_days(today, exp.oldest_due_date),
                )
                decision = credit_engine.evaluate(*args, precision=precision)
                if not decision.passed:
                    # Approvals are looked up only for orders that need one.
                    if approved is None:
                        approved = orders._otc_approved_amounts()
                    if order.id in approved:
                        decision = credit_engine.evaluate(
                            *args,
                            approved_amount=approved[order.id],
                            precision=precision,
                            order_total=total,
                        )
                batch[commercial_id] = batch.get(commercial_id, 0.0) + amount
                decisions[order.id] = decision
        return decisions

    def _otc_decision_message(self, decision):
        self.ensure_one()
        company = self.company_id
        partner = self.partner_id.commercial_partner_id
        lines = []
        for reason in decision.reasons:
            if reason.code == credit_engine.REASON_HOLD:
                hold_reason = (
                    partner.with_company(company).sudo().otc_credit_hold_reason
                )
                if hold_reason:
                    message = self.env._(
                        "%(customer)s is on credit hold (%(reason)s).",
                        customer=partner.display_name,
                        reason=hold_reason,
                    )
                else:
                    message = self.env._(
                        "%(customer)s is on credit hold.", customer=partner.display_name
                    )
                lines.append(message)
            elif reason.code == credit_engine.REASON_LIMIT:
                lines.append(
                    self.env._(
                        "This order takes %(customer)s's exposure to %(exposure)s, over its credit limit of %(limit)s.",
                        customer=partner.display_name,
                        exposure=format_amount(
                            self.env, reason.value, company.currency_id
                        ),
                        limit=format_amount(
                            self.env, reason.threshold, company.currency_id
                        ),
                    )
                )
            elif reason.code == credit_engine.REASON_OVERDUE:
                lines.append(
                    self.env._(
                        "%(customer)s has an item overdue for %(days)s days (%(allowed)s allowed).",
                        customer=partner.display_name,
                        days=int(reason.value),
                        allowed=int(reason.threshold),
                    )
                )
        return "\n".join(lines)

    def _otc_credit_check_bypassed(self):
        # Only trusted server-side code (sudo, not on behalf of a customer) or a
        # Credit Manager may skip the check; a context key sent over RPC by
        # anybody else is ignored.
        if not self.env.context.get("otc_skip_credit_check"):
            return False
        user = self.env.user
        if user.share or user._is_public():
            return False
        return self.env.su or user.has_group(
            "otc_order_to_cash.group_otc_credit_manager"
        )

    def _otc_is_customer_confirmation(self):
        user = self.env.user
        return bool(
            from_server(self.env.context, "otc_customer_confirmation")
            or user.share
            or user._is_public()
        )

    def _otc_checked(self, **context):
        """These orders in a context saying they went through the credit check
        (so that the confirmation's own write does not check them again)."""
        return self.with_context(
            otc_credit_checked=server_value(order_ids=self.ids), **context
        )

    def action_confirm(self):
        to_check = self.filtered(lambda o: o.state in ("draft", "sent"))
        if not to_check or self._otc_credit_check_bypassed():
            return super(SaleOrder, self._otc_checked()).action_confirm()
        decisions = to_check._otc_credit_evaluate()
        failed = to_check.filtered(lambda o: not decisions[o.id].passed)
        if not failed and not any(d.covered_by_approval for d in decisions.values()):
            # Written with the confirmation itself: no extra UPDATE.
            return super(
                SaleOrder,
                self._otc_checked(otc_credit_state_on_confirm=server_value("ok")),
            ).action_confirm()
        if not failed:
            to_check._otc_mark_passed(decisions)
            return super(SaleOrder, self._otc_checked()).action_confirm()

        customer = self._otc_is_customer_confirmation()
        interactive = self.env.context.get("otc_credit_interactive") and not customer

        def with_action(action):
            return failed.filtered(lambda o: decisions[o.id].action == action)

        blocked = with_action(credit_engine.POLICY_BLOCK)
        warned = with_action(credit_engine.POLICY_WARN)
        to_approve = with_action(credit_engine.POLICY_APPROVAL)
        if blocked and not customer:
            details = "\n".join(
                f"{o.name}: {o._otc_decision_message(decisions[o.id])}" for o in blocked
            )
            raise UserError(
                self.env._(
                    "Credit check failed, the order cannot be confirmed:\n%s", details
                )
            )
        # A customer who signed or paid must not be turned away: the order waits
        # for a Credit Manager instead, whatever the policy.
        if customer:
            to_approve |= blocked
        if (
            warned
            and interactive
            and not self.env.context.get("otc_credit_warning_accepted")
        ):
            return self.env["otc.credit.check.wizard"]._open_for(self, decisions)

        for order in warned:
            order.message_post(
                body=Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._("Confirmed despite the credit warning:"),
                    order._otc_decision_message(decisions[order.id]),
                ),
                subtype_xmlid="mail.mt_note",
            )
        warned.sudo().otc_credit_state = "warning"
        to_approve._otc_request_credit_approval(decisions, customer)
        (to_check - failed)._otc_mark_passed(decisions)
        to_confirm = self - to_approve
        res = (
            super(SaleOrder, to_confirm._otc_checked()).action_confirm()
            if to_confirm
            else True
        )
        if to_approve and interactive:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("Credit approval requested"),
                    "message": self.env._(
                        "%(orders)s wait for a Credit Manager's approval.",
                        orders=", ".join(to_approve.mapped("name")),
                    ),
                    "type": "warning",
                    "sticky": True,
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return res

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        if state := from_server(self.env.context, "otc_credit_state_on_confirm"):
            values["otc_credit_state"] = str(state)
        return values

    def _otc_unchecked_confirmation(self, vals):
        """The orders of ``self`` that ``vals`` would confirm without the
        credit check having been run on them."""
        if vals.get("state") != "sale":
            return self.browse()
        orders = self.filtered(lambda o: o.state != "sale")
        checked = from_server(self.env.context, "otc_credit_checked")
        if checked:
            orders = orders.filtered(lambda o: o.id not in checked.order_ids)
        return orders

    @api.model_create_multi
    def create(self, vals_list):
        # An order created confirmed is created as a quotation, then confirmed
        # by the write below, which runs the credit check.
        confirm = [i for i, vals in enumerate(vals_list) if vals.get("state") == "sale"]
        if not confirm or from_server(self.env.context, "otc_credit_checked"):
            return super().create(vals_list)
        vals_list = [
            dict(vals, state="draft") if i in confirm else vals
            for i, vals in enumerate(vals_list)
        ]
        orders = super().create(vals_list)
        self.browse([orders[i].id for i in confirm]).write({"state": "sale"})
        return orders

    def write(self, vals):
        unchecked = self._otc_unchecked_confirmation(vals)
        if not unchecked or unchecked._otc_credit_check_bypassed():
            return super().write(vals)
        # Writing the state is a confirmation too (Odoo would take it without
        # any check): the same decision as the Confirm button, without its
        # dialog or approval request, which a plain write cannot wait for.
        decisions = unchecked._otc_credit_evaluate()
        refused = unchecked.filtered(
            lambda o: (
                not decisions[o.id].passed
                and decisions[o.id].action != credit_engine.POLICY_WARN
            )
        )
        if refused:
            raise UserError(
                self.env._(
                    "Credit check failed, the order cannot be confirmed (use Confirm, "
                    "which can ask for a credit approval):\n%s",
                    "\n".join(
                        f"{o.name}: {o._otc_decision_message(decisions[o.id])}"
                        for o in refused
                    ),
                )
            )
        res = super().write(vals)
        warned = unchecked.filtered(lambda o: not decisions[o.id].passed)
        for order in warned:
            order.message_post(
                body=Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._("Confirmed despite the credit warning:"),
                    order._otc_decision_message(decisions[order.id]),
                ),
                subtype_xmlid="mail.mt_note",
            )
        warned.sudo().otc_credit_state = "warning"
        (unchecked - warned)._otc_mark_passed(decisions)
        return res

    def _otc_mark_passed(self, decisions):
        approved = self.filtered(lambda o: decisions[o.id].covered_by_approval)
        approved.sudo().otc_credit_state = "approved"
        (self - approved).sudo().otc_credit_state = "ok"

    def _validate_order(self):
        # Reached when the customer signs (or checks out) on the portal.
        return super(
            SaleOrder, self.with_context(otc_customer_confirmation=server_value())
        )._validate_order()

    def _otc_request_credit_approval(self, decisions, customer=False):
        Approval = self.env["otc.credit.approval"].sudo()
        Exposure = self.env["otc.credit.exposure"]
        exposures = {}
        for company, orders in self.grouped("company_id").items():
            exposures[company.id] = Exposure._get_exposure(orders.partner_id, company)
        for order in self:
            decision = decisions[order.id]
            amount = order._otc_amount_company()
            # the figures as judged: the exposure before this order, the limit
            # the decision applied, the rest as the customer stands now
            vals = Approval._otc_figure_values(
                exposures[order.company_id.id][order.partner_id.id],
                limit=decision.limit,
                exposure=decision.exposure_after - amount,
            )
            vals.update(
                {
                    "amount": amount,
                    "reasons": order._otc_decision_message(decision),
                    "customer_initiated": customer,
                }
            )
            approval = order.sudo().otc_credit_approval_ids.filtered(
                lambda a: a.state == "pending"
            )[:1]
            if approval:
                approval.write(vals)
            else:
                approval = Approval.create(
                    dict(vals, order_id=order.id, requested_by_id=self.env.user.id)
                )
                approval._otc_schedule_review()
            order.sudo().otc_credit_state = "pending"
            order.sudo().message_post(
                body=Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._("Waiting for credit approval:"),
                    vals["reasons"],
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _otc_check_confirmed_increase(self, previous_totals):
        """Judge the growth of confirmed orders like a new confirmation.

        Warn policies log the warning; block and approval policies refuse the
        change, since a confirmed order cannot wait for an approval.
        """
        increases = {}
        for order in self:
            if order.state != "sale" or order.id not in previous_totals:
                continue
            increase = order._otc_amount_company() - previous_totals[order.id]
            if increase > order.company_id.currency_id.rounding:
                increases[order.id] = increase
        if not increases or self._otc_credit_check_bypassed():
            return
        orders = self.browse(list(increases))
        decisions = orders._otc_credit_evaluate(increases)
        refused = []
        for order in orders:
            decision = decisions[order.id]
            if decision.passed:
                continue
            if decision.action == credit_engine.POLICY_WARN:
                order.message_post(
                    body=self.env._(
                        "Order increased despite the credit warning: %s",
                        order._otc_decision_message(decision),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            else:
                refused.append(f"{order.name}: {order._otc_decision_message(decision)}")
        if refused:
            raise UserError(
                self.env._(
                    "This change raises a confirmed order beyond what the customer's credit allows. "
                    "Ask a Credit Manager, or create a new quotation for the extra amount:\n%s",
                    "\n".join(refused),
                )
            )

    def action_otc_view_credit_approvals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_order_to_cash.otc_credit_approval_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.depends("otc_return_ids")
    def _compute_otc_return_count(self):
        for order in self:
            order.otc_return_count = len(order.otc_return_ids)

    def action_otc_create_return(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Authorisation"),
            "res_model": "otc.return",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_sale_order_id": self.id},
        }

    def action_otc_view_returns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_order_to_cash.otc_return_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"default_sale_order_id": self.id}
        return action
