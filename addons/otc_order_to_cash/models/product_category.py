from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    otc_return_window_days = fields.Integer(
        string="Return Window (days)",
        help="Days after delivery within which products of this category may be "
        "returned without a Credit Manager. 0: the company's window applies.",
        groups="base.group_user",
    )
