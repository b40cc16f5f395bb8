from odoo import fields, models


class OtcPromise(models.Model):
    _inherit = "otc.promise"

    # The collector's own notes stay with the staff.
    note = fields.Text(groups="base.group_user")
    collector_id = fields.Many2one(groups="base.group_user")
