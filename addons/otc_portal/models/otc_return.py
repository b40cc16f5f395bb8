from odoo import fields, models


class OtcReturn(models.Model):
    """Returns on the portal: requested by the customer from a delivered
    order, followed there with their documents and conversation."""

    _name = "otc.return"
    _inherit = ["otc.return", "portal.mixin"]
    # A customer who can read its return may write in its conversation.
    _mail_post_access = "read"

    # Staff-only: who handles and approved it, and the stock and accounting
    # documents behind it (the portal shows the credit notes through the
    # controller, the customer reading its own invoices the Odoo way).
    user_id = fields.Many2one(groups="base.group_user")
    approved_by_id = fields.Many2one(groups="base.group_user")
    picking_id = fields.Many2one(groups="base.group_user")
    return_picking_ids = fields.One2many(groups="base.group_user")
    replacement_picking_ids = fields.Many2many(groups="base.group_user")
    credit_note_ids = fields.One2many(groups="base.group_user")
    refund_payment_ids = fields.Many2many(groups="base.group_user")
    dispute_ids = fields.One2many(groups="base.group_user")
    # who may approve a late request is the back office's concern
    outside_window = fields.Boolean(groups="base.group_user")

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for ret in self:
            ret.access_url = f"/my/returns/{ret.id}"
        return result

    def _otc_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _otc_portal_label_available(self):
        """The return label is for goods on their way back."""
        self.ensure_one()
        return self.state in ("approved", "received") and bool(
            self.sudo().return_picking_ids.filtered(
                lambda p: p.state not in ("done", "cancel")
            )
        )
