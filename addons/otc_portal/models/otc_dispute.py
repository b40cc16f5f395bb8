from odoo import api, fields, models


class OtcDispute(models.Model):
    """Disputes on the portal: raised by the customer, followed there with
    their conversation, and emailed to the customer when decided."""

    _name = "otc.dispute"
    _inherit = ["otc.dispute", "portal.mixin"]
    # A customer who can read its dispute may write in its conversation.
    _mail_post_access = "read"

    source = fields.Selection(
        [("collector", "Collections"), ("portal", "Customer Portal")],
        default="collector",
        required=True,
        readonly=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Raised By",
        readonly=True,
        help="The customer's contact who raised the dispute on the portal.",
    )
    customer_message = fields.Text(
        string="Answer to the Customer",
        help="Shown to the customer on the portal and in the email telling "
        "that the dispute is rejected.",
    )
    # Staff-only figures: never readable by a portal user.
    owner_id = fields.Many2one(groups="base.group_user")
    resolution_note = fields.Text(groups="base.group_user")
    resolved_by_id = fields.Many2one(groups="base.group_user")

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for dispute in self:
            dispute.access_url = f"/my/disputes/{dispute.id}"
        return result

    def _otc_customer_recipients(self):
        """Who hears about the decision: the contact who raised it on the
        portal, else the invoice's contact, else the customer."""
        self.ensure_one()
        for partner in (self.contact_id, self.move_id.partner_id, self.partner_id):
            if partner.email:
                return partner
        return self.env["res.partner"]

    def _otc_notify_customer(self, template_xmlid):
        template = self.env.ref(template_xmlid)
        for dispute in self:
            recipients = dispute._otc_customer_recipients()
            if not recipients:
                continue
            dispute.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                partner_ids=recipients.ids,
                message_type="comment",
            )

    def action_resolve_credit_note(self):
        result = super().action_resolve_credit_note()
        self._otc_notify_customer("otc_portal.mail_template_otc_dispute_resolved")
        return result

    def _reject(self, note):
        result = super()._reject(note)
        self._otc_notify_customer("otc_portal.mail_template_otc_dispute_rejected")
        return result

    @api.model
    def _otc_state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env))[state]
