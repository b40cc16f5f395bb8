from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    otc_return_id = fields.Many2one(
        "otc.return",
        string="Return Authorisation",
        index="btree_not_null",
        copy=False,
        readonly=True,
        groups="sales_team.group_sale_salesman,otc_order_to_cash.group_otc_ar_clerk",
    )

    def action_otc_create_return(self):
        self.ensure_one()
        order = self.line_ids.sale_line_ids.order_id[:1]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return Authorisation"),
            "res_model": "otc.return",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {
                "default_sale_order_id": order.id,
                "default_invoice_id": self.id,
            },
        }
