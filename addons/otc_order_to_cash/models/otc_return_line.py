from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_is_zero

CONDITION_SELECTION = [
    ("new", "As New"),
    ("opened", "Opened"),
    ("used", "Used"),
    ("damaged", "Damaged"),
    ("defective", "Defective"),
]


class OtcReturnLine(models.Model):
    _name = "otc.return.line"
    _description = "Return Authorisation Line"
    _order = "return_id, sequence, id"

    return_id = fields.Many2one(
        "otc.return", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="return_id.company_id", store=True)
    state = fields.Selection(related="return_id.state", store=True)
    # stored for the returns analysis (grouped by customer, salesperson, month)
    partner_id = fields.Many2one(
        related="return_id.partner_id", store=True, string="Customer"
    )
    salesperson_id = fields.Many2one(
        related="sale_line_id.order_id.user_id", store=True, string="Salesperson"
    )
    date_requested = fields.Date(related="return_id.date_requested", store=True)
    days_to_credit = fields.Integer(
        related="return_id.days_to_credit", store=True, aggregator="avg"
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    amount_credited = fields.Monetary(
        compute="_compute_amount_credited",
        store=True,
        currency_field="company_currency_id",
        help="Credited for this line, before the restocking fee, in company currency.",
    )
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        required=True,
        index=True,
        domain="[('order_id', '=', parent.sale_order_id), ('display_type', '=', False)]",
    )
    product_id = fields.Many2one(
        related="sale_line_id.product_id", store=True, string="Product"
    )
    product_uom_id = fields.Many2one(
        related="sale_line_id.product_uom", string="Unit of Measure"
    )
    tracking = fields.Selection(related="product_id.tracking")
    quantity = fields.Float(
        digits="Product Unit of Measure", required=True, default=1.0
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        domain="[('product_id', '=', product_id)]",
    )
    reason_id = fields.Many2one("otc.return.reason", required=True)
    goods_back = fields.Boolean(compute="_compute_goods_back")
    condition = fields.Selection(CONDITION_SELECTION, string="Condition on Receipt")
    move_ids = fields.One2many("stock.move", "otc_return_line_id", readonly=True)
    credit_line_ids = fields.One2many(
        "account.move.line", "otc_return_line_id", readonly=True
    )
    qty_received = fields.Float(
        compute="_compute_qty_received",
        store=True,
        digits="Product Unit of Measure",
    )
    qty_credited = fields.Float(
        compute="_compute_qty_credited",
        store=True,
        digits="Product Unit of Measure",
    )
    qty_to_credit = fields.Float(
        compute="_compute_qty_to_credit", digits="Product Unit of Measure"
    )
    # sudo: the window reads the deliveries and the product's category, which
    # the customer following its return on the portal may not read itself
    delivery_date = fields.Date(compute="_compute_window", compute_sudo=True)
    return_deadline = fields.Date(compute="_compute_window", compute_sudo=True)
    outside_window = fields.Boolean(compute="_compute_window", compute_sudo=True)

    @api.depends("reason_id.goods_back", "product_id.type")
    def _compute_goods_back(self):
        # Services have nothing to send back whatever the reason says.
        for line in self:
            line.goods_back = (
                line.reason_id.goods_back and line.product_id.type == "consu"
            )

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.product_uom")
    def _compute_qty_received(self):
        for line in self:
            line.qty_received = sum(
                move.product_uom._compute_quantity(
                    move.quantity, line.product_uom_id or move.product_uom
                )
                for move in line.move_ids
                if move.state == "done"
            )

    @api.depends(
        "credit_line_ids.quantity",
        "credit_line_ids.parent_state",
        "credit_line_ids.product_uom_id",
    )
    def _compute_qty_credited(self):
        for line in self:
            line.qty_credited = sum(
                aml.product_uom_id._compute_quantity(
                    aml.quantity, line.product_uom_id or aml.product_uom_id
                )
                for aml in line.credit_line_ids
                if aml.parent_state != "cancel" and aml.product_id
            )

    @api.depends("credit_line_ids.balance", "credit_line_ids.parent_state")
    def _compute_amount_credited(self):
        for line in self:
            line.amount_credited = sum(
                aml.balance
                for aml in line.credit_line_ids
                if aml.parent_state == "posted"
            )

    @api.depends(
        "quantity",
        "qty_received",
        "qty_credited",
        "goods_back",
        "reason_id.credit_on",
        "return_id.state",
    )
    def _compute_qty_to_credit(self):
        for line in self:
            if line.return_id.state not in ("approved", "received", "credited"):
                line.qty_to_credit = 0.0
                continue
            if not line.goods_back or line.reason_id.credit_on == "approval":
                creditable = line.quantity
            else:
                creditable = line.qty_received
            line.qty_to_credit = max(creditable - line.qty_credited, 0.0)

    def _otc_delivery_date(self):
        """Date the goods reached the customer: the last done delivery of the
        order line; for services, the date they were invoiced (or ordered)."""
        self.ensure_one()
        # sudo: whoever approves reads the delivery dates, not the stock itself
        sol = self.sale_line_id.sudo()
        if self.product_id.type == "consu":
            outgoing = sol._get_outgoing_incoming_moves()[0].filtered(
                lambda m: m.state == "done"
            )
            if outgoing:
                return max(outgoing.mapped("date")).date()
        invoiced = sol.invoice_lines.filtered(
            lambda aml: (
                aml.parent_state == "posted" and aml.move_id.move_type == "out_invoice"
            )
        )
        if invoiced:
            return max(invoiced.move_id.mapped("invoice_date"))
        return sol.order_id.date_order and sol.order_id.date_order.date()

    @api.depends(
        "sale_line_id",
        "product_id.categ_id.otc_return_window_days",
        "return_id.company_id.otc_return_window_days",
        "return_id.date_requested",
    )
    def _compute_window(self):
        today = fields.Date.context_today(self)
        for line in self:
            if not line.sale_line_id:
                line.delivery_date = line.return_deadline = False
                line.outside_window = False
                continue
            delivered = line._otc_delivery_date()
            days = (
                line.product_id.categ_id.otc_return_window_days
                or line.return_id.company_id.otc_return_window_days
            )
            line.delivery_date = delivered
            line.return_deadline = (
                delivered + timedelta(days=days) if delivered and days else False
            )
            asked_on = line.return_id.date_requested or today
            line.outside_window = bool(
                line.return_deadline and asked_on > line.return_deadline
            )

    def _otc_returnable_base(self):
        """What the customer has of the order line: delivered goods (returns
        received with "update quantities" already lower it), or for services,
        which are not delivered through stock, what was invoiced."""
        self.ensure_one()
        sol = self.sale_line_id
        if self.product_id.type == "consu":
            return sol.qty_delivered
        return max(sol.qty_delivered, sol.qty_invoiced)

    def _otc_outstanding(self):
        """Quantity of this line not yet reflected in the order's delivered
        quantity: goods to come back not received yet, goods the customer keeps."""
        self.ensure_one()
        if self.return_id.state in ("draft", "cancel", "refused"):
            return 0.0
        if not self.goods_back:
            return self.quantity
        if self.return_id.state == "done":
            return 0.0
        return max(self.quantity - self.qty_received, 0.0)

    def _otc_returnable_qty(self):
        """What may still be returned of the order line, this line apart."""
        self.ensure_one()
        others = self.search(
            [
                ("sale_line_id", "=", self.sale_line_id.id),
                ("id", "!=", self._origin.id or 0),
                ("state", "not in", ("draft", "cancel", "refused")),
            ]
        )
        return self._otc_returnable_base() - sum(
            line._otc_outstanding() for line in others
        )

    def _otc_check_quantities(self):
        for line in self:
            rounding = line.product_uom_id.rounding or 0.01
            if float_compare(line.quantity, 0.0, precision_rounding=rounding) <= 0:
                raise ValidationError(
                    self.env._(
                        "Return %(ret)s: the quantity of %(product)s must be positive.",
                        ret=line.return_id.name,
                        product=line.product_id.display_name,
                    )
                )
            available = line._otc_returnable_qty() + line.qty_received
            if float_compare(line.quantity, available, precision_rounding=rounding) > 0:
                raise ValidationError(
                    self.env._(
                        "Return %(ret)s: %(qty)s %(uom)s of %(product)s cannot be "
                        "returned; at most %(available)s %(uom)s were delivered and "
                        "are not already returned or requested for return.",
                        ret=line.return_id.name,
                        qty=line.quantity,
                        uom=line.product_uom_id.name,
                        product=line.product_id.display_name,
                        available=max(available, 0.0),
                    )
                )
            # sudo: an approver without stock rights checks the lot all the same
            lot = line.sudo().lot_id
            if lot and lot.product_id != line.product_id:
                raise ValidationError(
                    self.env._(
                        "Lot %(lot)s is not a lot of %(product)s.",
                        lot=lot.name,
                        product=line.product_id.display_name,
                    )
                )
            if (
                line.tracking == "serial"
                and lot
                and not float_is_zero(line.quantity - 1.0, precision_rounding=rounding)
            ):
                raise ValidationError(
                    self.env._(
                        "A serial number is returned one at a time (%s).",
                        lot.name,
                    )
                )

    def _otc_invoice_line(self):
        """The posted customer invoice line this line credits: on the return's
        invoice when it has one, else the order line's last invoice."""
        self.ensure_one()
        lines = self.sale_line_id.invoice_lines.filtered(
            lambda aml: (
                aml.parent_state == "posted" and aml.move_id.move_type == "out_invoice"
            )
        )
        if self.return_id.invoice_id:
            lines = lines.filtered(lambda aml: aml.move_id == self.return_id.invoice_id)
        return lines.sorted(lambda aml: (aml.move_id.invoice_date, aml.id))[-1:]
