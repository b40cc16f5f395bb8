from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero, format_amount

RETURN_STATES = [
    ("draft", "Draft"),
    ("requested", "Requested"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("received", "Received"),
    ("credited", "Credited"),
    ("refunded", "Refunded"),
    ("replaced", "Replaced"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
]


class OtcReturn(models.Model):
    """Return authorisation: one flow from the customer's request to the credit
    note, each step through Odoo's own mechanism (return picking wizard,
    invoice reversal, reconciliation)."""

    _name = "otc.return"
    _description = "Return Authorisation"
    _inherit = ["otc.sequence.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    state = fields.Selection(
        RETURN_STATES,
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('parent_id', '=', False)]",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        required=True,
        index=True,
        tracking=True,
        domain="[('state', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        domain="[('sale_id', '=', sale_order_id), ('picking_type_code', '=', 'outgoing'), ('state', '=', 'done')]",
        help="The delivery the goods came with; its moves are returned first.",
    )
    invoice_id = fields.Many2one(
        "account.move",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('line_ids.sale_line_ids.order_id', '=', sale_order_id)]",
        help="The invoice to credit; empty: each line's last invoice.",
    )
    reason_id = fields.Many2one(
        "otc.return.reason",
        help="Reason proposed for new lines.",
    )
    line_ids = fields.One2many(
        "otc.return.line", "return_id", string="Lines", copy=True
    )
    settle_method = fields.Selection(
        [("refund", "Refund to the Customer"), ("credit", "Keep as Customer Credit")],
        string="Settle by",
        default=lambda self: self.env.company.otc_return_settle_default or "refund",
        required=True,
        tracking=True,
        help="What becomes of a credit note the invoice no longer needs (it was "
        "paid): refunded, or kept on the customer's account.",
    )
    replacement_picking_ids = fields.Many2many(
        "stock.picking",
        "otc_return_replacement_picking_rel",
        string="Replacements",
        readonly=True,
        copy=False,
    )
    refund_payment_ids = fields.Many2many(
        "account.payment", string="Refunds", readonly=True, copy=False
    )
    customer_note = fields.Text(string="Customer's Comment")
    refuse_reason = fields.Text(
        string="Refusal Reason",
        readonly=True,
        tracking=True,
        help="Shown to the customer.",
    )
    date_requested = fields.Date(readonly=True, copy=False)
    date_approved = fields.Date(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_credited = fields.Date(readonly=True, copy=False)
    days_to_credit = fields.Integer(
        compute="_compute_days_to_credit",
        store=True,
        aggregator="avg",
        help="Days from the request to the first credit note.",
    )
    outside_window = fields.Boolean(
        compute="_compute_outside_window",
        help="At least one line is returned after its return window: only a "
        "Credit Manager may approve.",
    )
    return_picking_ids = fields.One2many(
        "stock.picking", "otc_return_id", string="Return Receipts", readonly=True
    )
    credit_note_ids = fields.One2many(
        "account.move", "otc_return_id", string="Credit Notes", readonly=True
    )
    return_picking_count = fields.Integer(compute="_compute_counts")
    credit_note_count = fields.Integer(compute="_compute_counts")
    can_credit = fields.Boolean(compute="_compute_can_credit")
    amount_credited = fields.Monetary(
        compute="_compute_amount_credited",
        currency_field="currency_id",
        help="Posted credit notes, in company currency.",
    )

    @api.depends("date_requested", "date_credited")
    def _compute_days_to_credit(self):
        for ret in self:
            ret.days_to_credit = (
                (ret.date_credited - ret.date_requested).days
                if ret.date_credited and ret.date_requested
                else 0
            )

    @api.depends("line_ids.outside_window")
    def _compute_outside_window(self):
        for ret in self:
            ret.outside_window = any(ret.line_ids.mapped("outside_window"))

    @api.depends("return_picking_ids", "credit_note_ids")
    def _compute_counts(self):
        # sudo: a salesperson following the return counts its documents even
        # when Odoo's own rules hide them from him.
        for ret in self:
            ret.return_picking_count = len(ret.sudo().return_picking_ids)
            ret.credit_note_count = len(ret.sudo().credit_note_ids)

    @api.depends("line_ids.qty_to_credit")
    def _compute_can_credit(self):
        for ret in self:
            ret.can_credit = any(
                not float_is_zero(q, precision_digits=4)
                for q in ret.line_ids.mapped("qty_to_credit")
            )

    @api.depends("credit_note_ids.state", "credit_note_ids.amount_total_signed")
    def _compute_amount_credited(self):
        for ret in self:
            posted = ret.sudo().credit_note_ids.filtered(lambda m: m.state == "posted")
            ret.amount_credited = -sum(posted.mapped("amount_total_signed"))

    # ------------------------------------------------------------------ create
    @api.onchange("picking_id")
    def _onchange_picking_id(self):
        if self.picking_id and not self.sale_order_id:
            self.sale_order_id = self.picking_id.sale_id

    @api.onchange("invoice_id")
    def _onchange_invoice_id(self):
        if self.invoice_id and not self.sale_order_id:
            self.sale_order_id = self.invoice_id.line_ids.sale_line_ids.order_id[:1]

    @api.onchange("sale_order_id", "picking_id", "invoice_id")
    def _onchange_sale_order_id(self):
        """Propose every line still returnable, with that quantity, so that the
        user only lowers quantities and removes lines."""
        order = self.sale_order_id
        if not order:
            return
        self.partner_id = order.partner_id.commercial_partner_id
        self.company_id = order.company_id
        sale_lines = order.order_line.filtered(
            lambda sol: (
                not sol.display_type
                and sol.product_id
                and not sol.is_downpayment
                and sol.product_id.type in ("consu", "service")
            )
        )
        if self.picking_id:
            sale_lines = sale_lines.filtered(
                lambda sol: sol.move_ids.picking_id & self.picking_id
            )
        if self.invoice_id:
            sale_lines &= self.invoice_id.invoice_line_ids.sale_line_ids
        reason = self.reason_id or self.env["otc.return.reason"].search(
            [("company_id", "in", [False, order.company_id.id])], limit=1
        )
        commands = [Command.clear()]
        for sol in sale_lines:
            probe = self.env["otc.return.line"].new(
                {"sale_line_id": sol.id, "reason_id": reason.id}
            )
            qty = probe._otc_returnable_qty()
            if float_compare(qty, 0.0, precision_rounding=sol.product_uom.rounding) > 0:
                commands.append(
                    Command.create(
                        {
                            "sale_line_id": sol.id,
                            "quantity": qty,
                            "reason_id": reason.id,
                        }
                    )
                )
        self.line_ids = commands

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("sale_order_id"):
                order = self.env["sale.order"].browse(vals["sale_order_id"])
                vals.setdefault("partner_id", order.partner_id.commercial_partner_id.id)
                vals.setdefault("company_id", order.company_id.id)
            if vals.get("state", "draft") != "draft" and not self.env.su:
                raise AccessError(self.env._("A return starts as a draft."))
        returns = super().create(vals_list)
        returns._otc_check_consistency()
        for ret in returns:
            ret.message_subscribe(partner_ids=ret.partner_id.ids)
        return returns

    # Workflow fields move only through the buttons (which check who may do
    # what), never by a plain write from the client.
    _OTC_WORKFLOW_FIELDS = frozenset(
        {"state", "refuse_reason", "approved_by_id", "date_approved", "date_credited"}
    )

    def write(self, vals):
        if self._OTC_WORKFLOW_FIELDS & set(vals) and not self.env.su:
            raise AccessError(
                self.env._("The status of a return changes only through its buttons.")
            )
        if not self.env.su and (
            set(vals) & {"sale_order_id", "partner_id", "company_id", "line_ids"}
        ):
            locked = self.filtered(lambda r: r.state not in ("draft", "requested"))
            if locked:
                raise UserError(
                    self.env._(
                        "Return %s is approved: its order and lines can no longer change.",
                        locked[0].name,
                    )
                )
        res = super().write(vals)
        if {
            "sale_order_id",
            "partner_id",
            "company_id",
            "line_ids",
            "invoice_id",
        } & set(vals):
            self._otc_check_consistency()
        return res

    def _otc_check_consistency(self):
        for ret in self:
            order = ret.sale_order_id
            if order.company_id != ret.company_id:
                raise UserError(
                    self.env._("The return and its order must be in the same company.")
                )
            if (
                order.partner_id.commercial_partner_id
                != ret.partner_id.commercial_partner_id
            ):
                raise UserError(
                    self.env._("The return's customer must be the order's customer.")
                )
            foreign = ret.line_ids.sale_line_id.order_id - order
            if foreign:
                raise UserError(
                    self.env._(
                        "Every line of a return must come from its order %s.",
                        order.name,
                    )
                )
            if ret.picking_id and ret.picking_id.sale_id != order:
                raise UserError(self.env._("The delivery is not one of the order's."))
            if (
                ret.invoice_id
                and order not in ret.invoice_id.line_ids.sale_line_ids.order_id
            ):
                raise UserError(self.env._("The invoice is not one of the order's."))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft_or_cancelled(self):
        if any(r.state not in ("draft", "cancel") for r in self):
            raise UserError(
                self.env._("Only draft or cancelled returns can be deleted.")
            )

    # ------------------------------------------------------ customer request
    @api.model
    def _otc_request_reasons(self, company):
        """Reasons a customer may give for a return in ``company``."""
        return (
            self.env["otc.return.reason"]
            .sudo()
            .search([("company_id", "in", [False, company.id])])
        )

    @api.model
    def _otc_request_candidates(self, order):
        """What the customer may still ask to return of ``order``, by the
        return's own rules (delivered, less returned, less open requests; the
        return window): one dict per order line with something returnable,
        ``sale_line``, ``returnable``, ``deadline`` and ``outside_window``."""
        order = order.sudo()
        sale_lines = order.order_line.filtered(
            lambda sol: (
                not sol.display_type
                and sol.product_id
                and not sol.is_downpayment
                and sol.product_id.type in ("consu", "service")
            )
        )
        if order.state != "sale" or not sale_lines:
            return []
        # a return not saved: its lines compute the window and what is left
        probe = (
            self.sudo()
            .with_company(order.company_id)
            .new(
                {
                    "sale_order_id": order.id,
                    "company_id": order.company_id.id,
                    "partner_id": order.partner_id.commercial_partner_id.id,
                    "line_ids": [
                        Command.create({"sale_line_id": sol.id}) for sol in sale_lines
                    ],
                }
            )
        )
        result = []
        for line in probe.line_ids:
            sol = line.sale_line_id
            qty = line._otc_returnable_qty()
            if (
                float_compare(qty, 0.0, precision_rounding=sol.product_uom.rounding)
                <= 0
            ):
                continue
            result.append(
                {
                    "sale_line": sol._origin,
                    "returnable": qty,
                    "deadline": line.return_deadline,
                    "outside_window": line.outside_window,
                }
            )
        return result

    @api.model
    def _otc_create_request(self, order, lines, note=False, contact=None):
        """The customer's own request (the portal): a requested return of
        ``order`` for ``lines``, a list of (order line id, quantity, reason).

        Everything is checked by the return's rules before anything is
        created; a line of another order, a quantity over what may still be
        returned, a closed return window or a reason not offered raise a
        UserError saying so, and nothing is created. Returns the return
        (sudo: the customer has no right to create it himself)."""
        order = order.sudo()
        if order.state != "sale":
            raise UserError(self.env._("Only a confirmed order can be returned."))
        candidates = {c["sale_line"].id: c for c in self._otc_request_candidates(order)}
        reasons = self._otc_request_reasons(order.company_id)
        seen = set()
        values = []
        for sol_id, qty, reason in lines:
            sol = order.order_line.filtered(lambda s, i=sol_id: s.id == i)
            if not sol:
                raise UserError(
                    self.env._(
                        "A product you chose is not on order %s: reload the page "
                        "and choose again.",
                        order.name,
                    )
                )
            if sol.id in seen:
                raise UserError(
                    self.env._(
                        "%s is listed twice: give its quantity once.",
                        sol.product_id.display_name,
                    )
                )
            seen.add(sol.id)
            rounding = sol.product_uom.rounding
            if float_compare(qty, 0.0, precision_rounding=rounding) < 0:
                raise UserError(
                    self.env._(
                        "The quantity of %s cannot be negative.",
                        sol.product_id.display_name,
                    )
                )
            if float_is_zero(qty, precision_rounding=rounding):
                continue
            candidate = candidates.get(sol.id)
            if not candidate:
                raise UserError(
                    self.env._(
                        "%(product)s of order %(order)s cannot be returned: it was "
                        "not delivered, or is already returned or requested for "
                        "return.",
                        product=sol.product_id.display_name,
                        order=order.name,
                    )
                )
            if candidate["outside_window"]:
                raise UserError(
                    self.env._(
                        "The return window of %(product)s closed on %(date)s: "
                        "contact us to return it.",
                        product=sol.product_id.display_name,
                        date=fields.Date.to_string(candidate["deadline"]),
                    )
                )
            if (
                float_compare(qty, candidate["returnable"], precision_rounding=rounding)
                > 0
            ):
                raise UserError(
                    self.env._(
                        "You can return at most %(qty)s %(uom)s of %(product)s.",
                        qty=candidate["returnable"],
                        uom=sol.product_uom.name,
                        product=sol.product_id.display_name,
                    )
                )
            if not reason or reason not in reasons:
                raise UserError(self.env._("Choose the reason of your return."))
            values.append(
                Command.create(
                    {"sale_line_id": sol.id, "quantity": qty, "reason_id": reason.id}
                )
            )
        if not values:
            raise UserError(
                self.env._("Choose at least one product and the quantity to return.")
            )
        with self.env.cr.savepoint():
            ret = (
                self.sudo()
                .with_company(order.company_id)
                .create(
                    {
                        "sale_order_id": order.id,
                        "user_id": order.user_id.id,
                        "customer_note": note or False,
                        "line_ids": values,
                    }
                )
            )
            if contact:
                ret.message_subscribe(partner_ids=contact.ids)
            ret.action_request()
        return ret

    # ---------------------------------------------------------------- helpers
    def _otc_is_approver(self):
        user = self.env.user
        return user.has_group("otc_order_to_cash.group_otc_ar_clerk") or user.has_group(
            "sales_team.group_sale_manager"
        )

    def _otc_check_approver(self):
        if not self._otc_is_approver():
            raise AccessError(
                self.env._(
                    "Only the AR team or a sales manager may approve or refuse returns."
                )
            )
        late = self.filtered("outside_window")
        if late and not self.env.user.has_group(
            "otc_order_to_cash.group_otc_credit_manager"
        ):
            raise AccessError(
                self.env._(
                    "Return %s is requested after the return window: only a Credit "
                    "Manager may approve it.",
                    late[0].name,
                )
            )

    def _otc_set(self, vals):
        self.sudo().write(vals)

    def _otc_notify_customer(self, body, template_xmlid=None):
        """A message on the return sent to the customer by email (the mail
        template's when the step has one); the order's chatter gets a note
        so that the salesperson follows the story."""
        template = template_xmlid and self.env.ref(
            template_xmlid, raise_if_not_found=False
        )
        for ret in self:
            if template:
                ret.message_post_with_source(
                    template,
                    subtype_xmlid="mail.mt_comment",
                    message_type="comment",
                    partner_ids=ret.partner_id.ids,
                )
            else:
                ret.message_post(
                    body=body,
                    partner_ids=ret.partner_id.ids,
                    subtype_xmlid="mail.mt_comment",
                    message_type="comment",
                )
            ret.sale_order_id.sudo().message_post(
                body=Markup("%s: %s") % (ret._get_html_link(), body),
                subtype_xmlid="mail.mt_note",
            )

    def _otc_approvers(self):
        self.ensure_one()
        if self.outside_window:
            return self.company_id._otc_get_credit_manager() or self.user_id
        return self.sale_order_id.user_id or self.user_id

    # --------------------------------------------------------------- workflow
    def action_request(self):
        for ret in self:
            if ret.state != "draft":
                raise UserError(self.env._("Only a draft return can be requested."))
            if not ret.line_ids:
                raise UserError(self.env._("Add the products to return first."))
            ret._otc_set(
                {"state": "requested", "date_requested": fields.Date.context_today(ret)}
            )
            ret.line_ids._otc_check_quantities()
            ret.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=ret._otc_approvers().id or self.env.uid,
                summary=self.env._("Return to approve: %s", ret.name),
            )
        return True

    def action_approve(self):
        if any(r.state != "requested" for r in self):
            raise UserError(self.env._("Only requested returns can be approved."))
        self._otc_check_approver()
        for ret in self:
            ret.line_ids._otc_check_quantities()
            ret._otc_set(
                {
                    "state": "approved",
                    "approved_by_id": self.env.uid,
                    "date_approved": fields.Date.context_today(ret),
                }
            )
            ret._otc_create_return_pickings()
            ret.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=self.env._("Approved")
            )
            if ret.return_picking_ids:
                body = self.env._(
                    "Your return %s is approved. Please send the goods back with "
                    "this reference.",
                    ret.name,
                )
            else:
                body = self.env._(
                    "Your return %s is approved; you do not need to send anything back.",
                    ret.name,
                )
            ret._otc_notify_customer(
                body, "otc_order_to_cash.mail_template_otc_return_approved"
            )
        return True

    def action_refuse(self):
        if any(r.state != "requested" for r in self):
            raise UserError(self.env._("Only requested returns can be refused."))
        if not self._otc_is_approver():
            raise AccessError(
                self.env._(
                    "Only the AR team or a sales manager may approve or refuse returns."
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse Return"),
            "res_model": "otc.return.refuse.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_return_ids": self.ids},
        }

    def _otc_refuse(self, reason):
        if not self._otc_is_approver():
            raise AccessError(
                self.env._(
                    "Only the AR team or a sales manager may approve or refuse returns."
                )
            )
        if not reason or not reason.strip():
            raise UserError(
                self.env._("Give the reason of the refusal: the customer sees it.")
            )
        if any(r.state != "requested" for r in self):
            raise UserError(self.env._("Only requested returns can be refused."))
        for ret in self:
            ret._otc_set({"state": "refused", "refuse_reason": reason.strip()})
            ret.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=self.env._("Refused")
            )
            ret._otc_notify_customer(
                self.env._(
                    "Your return %(name)s is refused: %(reason)s",
                    name=ret.name,
                    reason=reason.strip(),
                ),
                "otc_order_to_cash.mail_template_otc_return_refused",
            )
        return True

    def action_cancel(self):
        for ret in self:
            if ret.state in ("done", "cancel"):
                continue
            if any(ret.line_ids.mapped("qty_received")) or ret.credit_note_ids.filtered(
                lambda m: m.state == "posted"
            ):
                raise UserError(
                    self.env._(
                        "Return %s cannot be cancelled: goods were received or credited.",
                        ret.name,
                    )
                )
            ret.return_picking_ids.sudo().filtered(
                lambda p: p.state not in ("done", "cancel")
            ).action_cancel()
            ret._otc_set({"state": "cancel"})
            ret.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def action_done(self):
        for ret in self:
            if ret.state not in ("credited", "refunded", "replaced"):
                raise UserError(self.env._("Only a credited return can be closed."))
            # Goods still expected are no longer: the open receipt goes away.
            ret.return_picking_ids.sudo().filtered(
                lambda p: p.state not in ("done", "cancel")
            ).action_cancel()
            ret._otc_set({"state": "done"})
        return True

    # ------------------------------------------------------------- pickings
    def _otc_create_return_pickings(self):
        """Return receipts made by Odoo's return wizard (stock.return.picking)
        from the order's deliveries, "update quantities on SO" set: the order's
        delivered quantity goes down when the receipt is validated."""
        self.ensure_one()
        lines = self.line_ids.filtered("goods_back")
        if not lines:
            return self.env["stock.picking"]
        alloc = defaultdict(dict)  # delivery -> {delivered move: qty}
        line_of_move = {}
        for line in lines:
            remaining = line.quantity
            moves = line.sale_line_id._get_outgoing_incoming_moves()[0].filtered(
                lambda m: m.state == "done" and m.picking_id
            )
            # the chosen delivery first, then the most recent ones
            moves = moves.sorted(
                lambda m: (m.picking_id == self.picking_id, m.date, m.id), reverse=True
            )
            for move in moves:
                if float_is_zero(
                    remaining, precision_rounding=move.product_uom.rounding
                ):
                    break
                taken = sum(
                    r.product_uom_qty if r.state != "done" else r.quantity
                    for r in move.returned_move_ids
                    if r.state != "cancel"
                ) + alloc[move.picking_id].get(move, 0.0)
                qty_move = line.product_uom_id._compute_quantity(
                    remaining, move.product_uom
                )
                free = move.quantity - taken
                qty = min(free, qty_move)
                if qty <= 0:
                    continue
                alloc[move.picking_id][move] = (
                    alloc[move.picking_id].get(move, 0.0) + qty
                )
                line_of_move.setdefault(move, line)
                remaining -= move.product_uom._compute_quantity(
                    qty, line.product_uom_id
                )
            if (
                float_compare(
                    remaining, 0.0, precision_rounding=line.product_uom_id.rounding
                )
                > 0
            ):
                raise UserError(
                    self.env._(
                        "%(product)s: the deliveries of order %(order)s leave less "
                        "to return than %(qty)s.",
                        product=line.product_id.display_name,
                        order=self.sale_order_id.name,
                        qty=line.quantity,
                    )
                )
        pickings = self.env["stock.picking"]
        for delivery, quantities in alloc.items():
            delivery = delivery.sudo().with_company(delivery.company_id)
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_company(delivery.company_id)
                .with_context(active_id=delivery.id, active_model="stock.picking")
                .create({"picking_id": delivery.id})
            )
            for wline in wizard.product_return_moves:
                wline.write(
                    {"quantity": quantities.get(wline.move_id, 0.0), "to_refund": True}
                )
            picking = wizard._create_return()
            picking.write({"otc_return_id": self.id, "origin": self.name})
            for move in picking.move_ids:
                line = line_of_move.get(move.origin_returned_move_id)
                if not line:
                    continue
                move.otc_return_line_id = line
                # Odoo proposes the delivered lots; the customer returns this one.
                lot = line.sudo().lot_id
                if lot:
                    move.move_line_ids.lot_id = lot
            pickings |= picking
        self.message_post(
            body=self.env._(
                "Return receipts created: %s", ", ".join(pickings.mapped("name"))
            ),
            subtype_xmlid="mail.mt_note",
        )
        return pickings

    def _otc_on_receipt(self):
        """Called when one of the return receipts is validated."""
        for ret in self.sudo():
            if ret.state not in ("approved", "received", "credited"):
                continue
            received = ret.line_ids.filtered("qty_received")
            if not received:
                continue
            if ret.state == "approved":
                ret.state = "received"
            if any(received.reason_id.mapped("inspection")):
                ret.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=ret.user_id.id or self.env.uid,
                    summary=self.env._("Inspect the returned goods of %s", ret.name),
                )
            lines = Markup("").join(
                Markup("<li>%s: %s %s</li>")
                % (
                    line.product_id.display_name,
                    line.qty_received,
                    line.product_uom_id.name,
                )
                for line in received
            )
            ret._otc_notify_customer(
                Markup("%s<ul>%s</ul>")
                % (
                    self.env._("We received the goods of your return %s:", ret.name),
                    lines,
                ),
                "otc_order_to_cash.mail_template_otc_return_received",
            )

    # ---------------------------------------------------------------- credit
    def action_credit(self):
        """Credit note for the quantities to credit, by reversing the invoice
        lines they were billed on.

        Why a reversal and not the order's invoicing of negative delivered
        quantities: the reversal carries the invoiced price, discount, taxes,
        fiscal position and currency of the invoice exactly (the order's
        prices may have changed since), it credits services and goods the
        customer keeps and can credit on approval, before anything comes back
        (delivered quantities only move on receipt), it never sweeps other
        uninvoiced lines of the order into the credit note, and the credit
        note keeps the link to its invoice (reversed_entry_id) and to the order
        lines (sale_line_ids), so the order's invoiced quantity follows."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users may credit a return."))
        credit_notes = self.env["account.move"]
        for ret in self:
            if ret.state not in ("approved", "received", "credited"):
                raise UserError(self.env._("Return %s is not approved.", ret.name))
            lines = ret.line_ids.filtered(
                lambda line: (
                    not float_is_zero(
                        line.qty_to_credit,
                        precision_rounding=line.product_uom_id.rounding or 0.01,
                    )
                )
            )
            if not lines:
                raise UserError(
                    self.env._("Return %s: nothing to credit (yet).", ret.name)
                )
            by_invoice = defaultdict(list)
            for line in lines:
                inv_line = line._otc_invoice_line()
                if not inv_line:
                    raise UserError(
                        self.env._(
                            "%(product)s is not invoiced on a posted invoice: there is "
                            "nothing to credit. The order will invoice what was kept.",
                            product=line.product_id.display_name,
                        )
                    )
                by_invoice[inv_line.move_id].append((line, inv_line))
            new_notes = self.env["account.move"]
            for invoice, pairs in by_invoice.items():
                new_notes |= ret._otc_credit_invoice(invoice, pairs)
            credit_notes |= new_notes
            ret._otc_set(
                {
                    "state": "credited",
                    # the first credit: the analysis measures request to credit
                    "date_credited": ret.date_credited
                    or fields.Date.context_today(ret),
                }
            )
            ret._otc_notify_customer(
                self.env._(
                    "Your return %(name)s is credited: %(notes)s.",
                    name=ret.name,
                    notes=", ".join(new_notes.mapped("name")),
                ),
                "otc_order_to_cash.mail_template_otc_return_credited",
            )
        return credit_notes

    def _otc_credit_invoice(self, invoice, pairs):
        self.ensure_one()
        invoice = invoice.with_company(invoice.company_id)
        refund = invoice._reverse_moves(
            [
                {
                    "invoice_date": fields.Date.context_today(self),
                    "ref": self.env._(
                        "Return %(ret)s of %(inv)s", ret=self.name, inv=invoice.name
                    ),
                    "otc_return_id": self.id,
                }
            ],
            cancel=False,
        )
        commands = [Command.delete(aml.id) for aml in refund.invoice_line_ids]
        for line, inv_line in pairs:
            qty = line.product_uom_id._compute_quantity(
                line.qty_to_credit, inv_line.product_uom_id
            )
            qty = min(qty, inv_line.quantity)
            commands.append(
                Command.create(
                    {
                        "product_id": inv_line.product_id.id,
                        "name": inv_line.name,
                        "quantity": qty,
                        "product_uom_id": inv_line.product_uom_id.id,
                        "price_unit": inv_line.price_unit,
                        "discount": inv_line.discount,
                        "tax_ids": [Command.set(inv_line.tax_ids.ids)],
                        "account_id": inv_line.account_id.id,
                        "analytic_distribution": inv_line.analytic_distribution,
                        "sale_line_ids": [Command.set(inv_line.sale_line_ids.ids)],
                        "otc_return_line_id": line.id,
                    }
                )
            )
            fee_pct = line.reason_id.restocking_fee
            if fee_pct:
                net = qty * inv_line.price_unit * (1 - inv_line.discount / 100.0)
                commands.append(
                    Command.create(
                        {
                            "name": self.env._(
                                "Restocking fee %(pct)s %% on %(product)s",
                                pct=fee_pct,
                                product=inv_line.product_id.display_name,
                            ),
                            "quantity": 1.0,
                            "price_unit": -invoice.currency_id.round(
                                net * fee_pct / 100.0
                            ),
                            "tax_ids": [Command.set(inv_line.tax_ids.ids)],
                            "account_id": inv_line.account_id.id,
                            "analytic_distribution": inv_line.analytic_distribution,
                        }
                    )
                )
        refund.write({"invoice_line_ids": commands})
        refund.action_post()
        # An invoice still open is settled by its credit note at once; a paid
        # one leaves the credit on the customer's account.
        if invoice.payment_state not in ("paid", "in_payment", "reversed"):
            (invoice.line_ids | refund.line_ids).filtered(
                lambda aml: (
                    aml.account_id.account_type == "asset_receivable"
                    and not aml.reconciled
                )
            ).reconcile()
        amount = format_amount(self.env, refund.amount_total, refund.currency_id)
        # the customer is emailed once per crediting (action_credit), with
        # every credit note of the run
        self.message_post(
            body=Markup("%s")
            % self.env._(
                "Credit note %(move)s of %(amount)s issued.",
                move=refund._get_html_link(),
                amount=amount,
            ),
            subtype_xmlid="mail.mt_note",
        )
        self.partner_id.message_post(
            body=Markup("%s")
            % self.env._(
                "Return %(ret)s credited: %(move)s, %(amount)s.",
                ret=self._get_html_link(),
                move=refund._get_html_link(),
                amount=amount,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return refund

    # --------------------------------------------------------------- replace
    def action_replace(self):
        """Send the same products again at no charge instead of a credit: a
        procurement on the order line, as Odoo's return wizard does for an
        exchange, so the new delivery counts as delivered on the order again
        (the receipt lowered it) and nothing is invoiced twice."""
        if not self._otc_is_approver():
            raise AccessError(
                self.env._("Only the AR team or a sales manager may replace returns.")
            )
        for ret in self:
            if ret.state not in ("approved", "received") or ret.credit_note_ids:
                raise UserError(
                    self.env._(
                        "Return %s: only an approved return without credit note can "
                        "be replaced.",
                        ret.name,
                    )
                )
            lines = ret.line_ids.filtered("goods_back")
            if not lines or lines != ret.line_ids:
                raise UserError(
                    self.env._(
                        "Return %s: only goods that come back can be replaced; "
                        "credit the others.",
                        ret.name,
                    )
                )
            order = ret.sale_order_id.sudo()
            before = order.picking_ids
            procurements = []
            for line in lines:
                sol = line.sale_line_id.sudo()
                values = sol._prepare_procurement_values(
                    group_id=order.procurement_group_id
                )
                procurements.append(
                    self.env["procurement.group"].Procurement(
                        sol.product_id,
                        line.quantity,
                        sol.product_uom,
                        order.partner_shipping_id.property_stock_customer,
                        sol.product_id.display_name,
                        ret.name,
                        order.company_id,
                        values,
                    )
                )
            self.env["procurement.group"].sudo().with_company(order.company_id).run(
                procurements
            )
            new = order.picking_ids - before
            ret._otc_set(
                {
                    "state": "replaced",
                    "replacement_picking_ids": [Command.link(p.id) for p in new],
                }
            )
            ret._otc_notify_customer(
                self.env._(
                    "Your return %s is replaced: the products are sent to you again.",
                    ret.name,
                )
            )
        return True

    # ---------------------------------------------------------------- refund
    def action_refund(self):
        """Pay back what the credit notes leave open (the invoice was paid):
        through the payment provider that took the payment when it refunds,
        else by an outgoing payment; either is reconciled with the credit note."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users may refund a return."))
        for ret in self:
            if ret.state != "credited":
                raise UserError(self.env._("Return %s is not credited.", ret.name))
            notes = ret.credit_note_ids.filtered(
                lambda m: (
                    m.state == "posted" and not m.currency_id.is_zero(m.amount_residual)
                )
            )
            if not notes:
                raise UserError(
                    self.env._(
                        "Return %s: the credit notes are settled, nothing to refund.",
                        ret.name,
                    )
                )
            payments = self.env["account.payment"]
            amounts = []
            for note in notes:
                amounts.append(
                    format_amount(self.env, note.amount_residual, note.currency_id)
                )
                payments |= ret._otc_refund_credit_note(note)
            ret._otc_set(
                {
                    "state": "refunded",
                    "refund_payment_ids": [Command.link(p.id) for p in payments],
                }
            )
            ret._otc_notify_customer(
                self.env._(
                    "Your return %(name)s is refunded: %(amount)s.",
                    name=ret.name,
                    amount=", ".join(amounts),
                )
            )
        return True

    def _otc_refund_transaction(self, note):
        """The online payment of the credited invoice the provider can refund
        for the credit note's amount, if any."""
        invoice = note.reversed_entry_id.sudo()
        amount = note.amount_residual
        for tx in invoice.transaction_ids.filtered(
            lambda t: t.state == "done" and t.operation != "refund"
        ).sorted("id", reverse=True):
            support = tx.provider_id.support_refund
            if tx.currency_id != note.currency_id or support not in (
                "partial",
                "full_only",
            ):
                continue
            refunded = -sum(
                tx.child_transaction_ids.filtered(
                    lambda c: c.operation == "refund" and c.state != "error"
                ).mapped("amount")
            )
            left = tx.amount - refunded
            if note.currency_id.compare_amounts(amount, left) > 0:
                continue
            if support == "full_only" and note.currency_id.compare_amounts(
                amount, tx.amount
            ):
                continue
            return tx
        return self.env["payment.transaction"]

    def _otc_refund_credit_note(self, note):
        amount = note.amount_residual
        tx = self._otc_refund_transaction(note)
        if tx:
            refund_tx = tx._send_refund_request(amount_to_refund=amount)
            # The refund knows its credit note: its payment settles it whenever
            # the provider confirms it (payment.transaction._create_payment).
            refund_tx.sudo().otc_refund_credit_note_id = note
            if refund_tx.state == "done" and not refund_tx.is_post_processed:
                # Confirmed at once: its payment now rather than at the next
                # run of the post-processing job, so it settles the credit note.
                refund_tx._post_process()
            payment = refund_tx.payment_id
            if not payment:
                self.message_post(
                    body=self.env._(
                        "Refund of %(amount)s requested from %(provider)s (%(ref)s); "
                        "its payment settles the credit note when the provider "
                        "confirms it.",
                        amount=format_amount(self.env, amount, note.currency_id),
                        provider=tx.provider_id.name,
                        ref=refund_tx.reference,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                return payment
        else:
            wizard = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=note.ids)
                .create({"payment_date": fields.Date.context_today(self)})
            )
            payment = wizard._create_payments()
        self._otc_match_refund(note, payment)
        return payment

    def _otc_match_refund(self, note, payment):
        """Settle the credit note with the payment refunding it."""
        if payment.move_id:
            open_lines = (note.line_ids | payment.move_id.line_ids).filtered(
                lambda aml: (
                    aml.account_id.account_type == "asset_receivable"
                    and not aml.reconciled
                )
            )
            if open_lines.move_id == note | payment.move_id:
                open_lines.reconcile()
        else:
            # A payment without journal entry (no outstanding account on the
            # journal) settles the credit note by Odoo 18's payment matching.
            payment.sudo().invoice_ids = [Command.link(note.id)]

    # ---------------------------------------------------------------- views
    def action_view_return_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action.update(
            domain=[("id", "in", self.return_picking_ids.ids)],
            context={"create": False},
        )
        if len(self.return_picking_ids) == 1:
            action.update(
                view_mode="form",
                views=[(False, "form")],
                res_id=self.return_picking_ids.id,
            )
        return action

    def action_view_credit_notes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_refund_type"
        )
        action.update(
            domain=[("id", "in", self.credit_note_ids.ids)],
            context={"create": False},
        )
        if len(self.credit_note_ids) == 1:
            action.update(views=[(False, "form")], res_id=self.credit_note_ids.id)
        return action

    def action_view_sale_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }
