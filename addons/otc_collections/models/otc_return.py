from markupsafe import Markup

from odoo import fields, models


class OtcReturn(models.Model):
    _inherit = "otc.return"

    dispute_ids = fields.One2many(
        "otc.dispute", "otc_return_id", string="Disputes Resolved", readonly=True
    )

    def _otc_credit_invoice(self, invoice, pairs):
        """A return credited for an invoice under dispute resolves the dispute:
        the customer's complaint is answered by this credit note."""
        refund = super()._otc_credit_invoice(invoice, pairs)
        # sudo: the AR clerk crediting the return closes the collector's dispute
        disputes = (
            self.env["otc.dispute"]
            .sudo()
            .search([("move_id", "=", invoice.id), ("state", "=", "open")])
        )
        for dispute in disputes:
            dispute.write(
                {
                    "state": "resolved",
                    "credit_note_id": refund.id,
                    "otc_return_id": self.id,
                    "resolution_note": self.env._(
                        "Resolved by return %(ret)s, credit note %(move)s.",
                        ret=self.name,
                        move=refund.name,
                    ),
                    "resolved_by_id": self.env.uid,
                    "resolved_on": fields.Datetime.now(),
                }
            )
            dispute._close_activities(self.env._("Resolved by return %s", self.name))
            self.message_post(
                body=Markup("%s")
                % self.env._(
                    "Dispute %(dispute)s resolved by this return.",
                    dispute=dispute._get_html_link(),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return refund
