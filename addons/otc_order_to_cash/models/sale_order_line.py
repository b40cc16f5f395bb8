from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _otc_confirmed_totals(self):
        orders = self.order_id.filtered(lambda o: o.state == "sale")
        return orders, {order.id: order._otc_amount_company() for order in orders}

    @api.model_create_multi
    def create(self, vals_list):
        orders = (
            self.env["sale.order"]
            .browse({vals["order_id"] for vals in vals_list if vals.get("order_id")})
            .filtered(lambda o: o.state == "sale")
        )
        previous = {order.id: order._otc_amount_company() for order in orders}
        lines = super().create(vals_list)
        if previous:
            orders._otc_check_confirmed_increase(previous)
        return lines

    def write(self, vals):
        if not {"product_uom_qty", "price_unit", "discount", "tax_id"} & set(vals):
            return super().write(vals)
        orders, previous = self._otc_confirmed_totals()
        res = super().write(vals)
        if previous:
            orders._otc_check_confirmed_increase(previous)
        return res
