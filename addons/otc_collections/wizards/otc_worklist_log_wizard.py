from odoo import fields, models
from odoo.exceptions import UserError


class OtcWorklistLogWizard(models.TransientModel):
    _name = "otc.worklist.log.wizard"
    _description = "Log a Call or Note from the Worklist"

    worklist_id = fields.Many2one("otc.worklist", required=True)
    kind = fields.Selection(
        [("call", "Call"), ("note", "Note")], default="call", required=True
    )
    note = fields.Text(required=True)
    next_action_date = fields.Date(string="Follow-up on")

    def action_log(self):
        self.ensure_one()
        if not (self.note or "").strip():
            raise UserError(self.env._("Write what was said or done."))
        line = self.worklist_id
        label = self.env._("Call") if self.kind == "call" else self.env._("Note")
        line.partner_id._otc_log_note(
            self.env._("%(kind)s: %(note)s", kind=label, note=self.note.strip()),
            message_type="comment",
        )
        values = {"last_contact_date": fields.Datetime.now()}
        if self.next_action_date:
            # Collectors plan on the customer without the right to edit contacts.
            line.partner_id.sudo().activity_schedule(
                "mail.mail_activity_data_call",
                date_deadline=self.next_action_date,
                user_id=self.env.uid,
                summary=self.env._("Follow up on %s", line.partner_id.display_name),
            )
            values.update(
                next_action_date=self.next_action_date,
                next_action_summary=self.env._(
                    "Follow up on %s", line.partner_id.display_name
                ),
            )
        line.sudo().write(values)
        return {"type": "ir.actions.act_window_close"}
