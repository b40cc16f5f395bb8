from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    otc_default_dunning_policy_id = fields.Many2one(
        "otc.dunning.policy",
        string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Policy of customers without one of their own; the daily dunning "
        "run covers the companies that have one.",
    )
    otc_default_collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Collector of the customers that no rule and no manual choice assign.",
    )
    otc_promise_grace_days = fields.Integer(
        string="Promise Grace Days",
        default=2,
        help="Days after the promised date before an unpaid promise counts as "
        "broken (bank transfers take time).",
    )
