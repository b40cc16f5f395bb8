from odoo import api, fields, models


class OtcCreditCheckWizard(models.TransientModel):
    _name = "otc.credit.check.wizard"
    _description = "Credit Warning on Confirmation"

    order_ids = fields.Many2many("sale.order", readonly=True)
    message = fields.Text(readonly=True)

    @api.model
    def _open_for(self, orders, decisions):
        message = "\n\n".join(
            f"{order.name}:\n{order._otc_decision_message(decisions[order.id])}"
            for order in orders
            if order.id in decisions and not decisions[order.id].passed
        )
        wizard = self.create(
            {"order_ids": [fields.Command.set(orders.ids)], "message": message}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Warning"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm_anyway(self):
        self.ensure_one()
        return self.order_ids.with_context(
            otc_credit_warning_accepted=True, otc_credit_interactive=True
        ).action_confirm()
