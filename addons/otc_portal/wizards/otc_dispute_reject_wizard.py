from odoo import fields, models


class OtcDisputeRejectWizard(models.TransientModel):
    _inherit = "otc.dispute.reject.wizard"

    customer_message = fields.Text(
        string="Answer to the Customer",
        help="Emailed to the customer and shown on the portal. The reason above "
        "stays internal.",
    )

    def action_reject(self):
        self.ensure_one()
        if self.customer_message:
            self.dispute_ids.write({"customer_message": self.customer_message})
        return super().action_reject()
