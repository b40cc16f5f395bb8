from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # copy=True: the backorder of a partly received return stays on the return.
    otc_return_id = fields.Many2one(
        "otc.return",
        string="Return Authorisation",
        index="btree_not_null",
        copy=True,
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_partner_on_hold = fields.Boolean(
        string="Customer on Credit Hold",
        compute="_compute_otc_partner_hold",
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_partner_hold_reason = fields.Char(
        string="Credit Hold Reason",
        compute="_compute_otc_partner_hold",
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_hold_released_by_id = fields.Many2one(
        "res.users",
        string="Credit Hold Released by",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )
    otc_hold_release_reason = fields.Char(
        string="Credit Hold Release Reason",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user,sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )

    def write(self, vals):
        # The release is a Credit Manager's decision, taken through its button.
        if {"otc_hold_released_by_id", "otc_hold_release_reason"} & set(vals) and (
            not self.env.su
        ):
            raise AccessError(
                self.env._(
                    "Only a Credit Manager can release a delivery on credit hold."
                )
            )
        return super().write(vals)

    @api.depends("partner_id", "company_id", "picking_type_code")
    def _compute_otc_partner_hold(self):
        for picking in self:
            customer = picking._otc_hold_customer()
            picking.otc_partner_on_hold = bool(customer)
            picking.otc_partner_hold_reason = customer.otc_credit_hold_reason or False

    def _otc_hold_customer(self):
        """The customer on credit hold this delivery goes to, if any.

        sudo: the warehouse sees the hold (that is its point) without the
        rights to read customers' credit terms."""
        self.ensure_one()
        if (
            self.picking_type_code != "outgoing"
            or self.location_dest_id.usage != "customer"
            or not self.partner_id
        ):
            return self.env["res.partner"]
        customer = self.partner_id.commercial_partner_id.sudo().with_company(
            self.company_id
        )
        return customer if customer.otc_credit_hold else self.env["res.partner"]

    def _otc_check_credit_hold(self):
        """A delivery to a customer on credit hold is not validated, unless a
        Credit Manager released that delivery: it would otherwise go round the
        credit control of an order confirmed before the hold."""
        for picking in self:
            if picking.otc_hold_released_by_id:
                continue
            customer = picking._otc_hold_customer()
            if customer:
                raise UserError(
                    self.env._(
                        "Delivery %(picking)s cannot be validated: %(customer)s is "
                        "on credit hold (%(reason)s). A Credit Manager can release "
                        "this delivery.",
                        picking=picking.name,
                        customer=customer.display_name,
                        reason=customer.otc_credit_hold_reason
                        or self.env._("no reason given"),
                    )
                )

    def button_validate(self):
        self._otc_check_credit_hold()
        return super().button_validate()

    def _action_done(self):
        self._otc_check_credit_hold()
        res = super()._action_done()
        self.otc_return_id._otc_on_receipt()
        return res

    def action_otc_release_hold(self):
        self._otc_check_release_rights()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Release Credit Hold for this Delivery"),
            "res_model": "otc.picking.hold.release.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_picking_ids": self.ids},
        }

    def _otc_check_release_rights(self):
        if not self.env.user.has_group("otc_order_to_cash.group_otc_credit_manager"):
            raise AccessError(
                self.env._(
                    "Only a Credit Manager can release a delivery on credit hold."
                )
            )

    def _otc_release_hold(self, reason):
        self._otc_check_release_rights()
        if not reason or not reason.strip():
            raise UserError(self.env._("Give the reason for releasing this delivery."))
        for picking in self:
            customer = picking._otc_hold_customer()
            picking.sudo().write(
                {
                    "otc_hold_released_by_id": self.env.uid,
                    "otc_hold_release_reason": reason.strip(),
                }
            )
            body = self.env._(
                "Delivery %(picking)s released from the credit hold by %(user)s: %(reason)s",
                picking=picking.name,
                user=self.env.user.name,
                reason=reason.strip(),
            )
            picking.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")
            if customer:
                customer._otc_log_note(Markup("%s") % body)
        return True

    def action_otc_create_return(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Authorisation"),
            "res_model": "otc.return",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_sale_order_id": self.sale_id.id,
                "default_picking_id": self.id,
            },
        }
