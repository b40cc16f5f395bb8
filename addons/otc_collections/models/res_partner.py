from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.otc_order_to_cash.models.res_partner import INTERNAL_GROUPS


class ResPartner(models.Model):
    _inherit = "res.partner"

    otc_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        tracking=True,
        help="Chosen by hand: wins over the assignment rules.",
        groups=INTERNAL_GROUPS,
    )
    otc_dunning_policy_id = fields.Many2one(
        "otc.dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        tracking=True,
        help="Empty: the company's default dunning policy.",
        groups=INTERNAL_GROUPS,
    )
    otc_dunning_level = fields.Integer(
        string="Dunning Level",
        company_dependent=True,
        readonly=True,
        groups=INTERNAL_GROUPS,
    )
    otc_dunning_date = fields.Date(
        string="Last Dunning",
        company_dependent=True,
        readonly=True,
        groups=INTERNAL_GROUPS,
    )
    otc_disputed_amount = fields.Monetary(
        string="Disputed Amount",
        compute="_compute_otc_disputed_amount",
        currency_field="otc_dispute_currency_id",
        help="Amount of this customer's invoices under open dispute, in the "
        "current company.",
        groups=INTERNAL_GROUPS,
    )
    otc_open_dispute_count = fields.Integer(
        compute="_compute_otc_disputed_amount",
        groups=INTERNAL_GROUPS,
    )
    otc_dispute_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_otc_disputed_amount",
        groups=INTERNAL_GROUPS,
    )

    otc_next_payment_date = fields.Date(
        string="Next Expected Payment",
        compute="_compute_otc_payment_outlook",
        groups="otc_order_to_cash.group_otc_ar_clerk",
        help="The earliest predicted payment date of the customer's open "
        "invoices in the current company (daily payment-date prediction).",
    )
    otc_expected_30_days = fields.Monetary(
        string="Expected in 30 Days",
        compute="_compute_otc_payment_outlook",
        currency_field="otc_dispute_currency_id",
        groups="otc_order_to_cash.group_otc_ar_clerk",
        help="Open amount of the customer's invoices predicted to be paid in "
        "the next 30 days, in company currency.",
    )

    @api.depends_context("company")
    def _compute_otc_payment_outlook(self):
        # the predictions are the AR team's; the fields carry the group
        Prediction = self.env["otc.payment.prediction"].sudo()
        domain = [
            ("partner_id", "in", self.commercial_partner_id.ids),
            ("company_id", "=", self.env.company.id),
        ]
        horizon = fields.Date.context_today(self) + timedelta(days=30)
        earliest = dict(
            Prediction._read_group(domain, ["partner_id"], ["predicted_date:min"])
        )
        expected = dict(
            Prediction._read_group(
                [*domain, ("predicted_date", "<=", horizon)],
                ["partner_id"],
                ["amount_residual_company:sum"],
            )
        )
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.otc_next_payment_date = earliest.get(commercial, False)
            partner.otc_expected_30_days = expected.get(commercial, 0.0)

    def action_otc_open_predictions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.action_otc_payment_prediction"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    @api.depends_context("company")
    def _compute_otc_disputed_amount(self):
        data = self.env["otc.dispute"]._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("state", "=", "open"),
            ],
            ["partner_id"],
            ["disputed_amount:sum", "__count"],
        )
        by_partner = {partner.id: (amount, count) for partner, amount, count in data}
        for partner in self:
            amount, count = by_partner.get(partner.commercial_partner_id.id, (0.0, 0))
            partner.otc_disputed_amount = amount
            partner.otc_open_dispute_count = count
            partner.otc_dispute_currency_id = self.env.company.currency_id

    def action_otc_open_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.otc_dispute_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action
