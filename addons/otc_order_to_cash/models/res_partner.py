from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..engine import credit as credit_engine
from .res_company import CREDIT_POLICY_SELECTION

CREDIT_STATUS_SELECTION = [
    ("ok", "Within Limit"),
    ("near", "Near Limit"),
    ("overdue", "Overdue"),
    ("over", "Over Limit"),
    ("hold", "On Hold"),
]

# Credit and collections data is internal: customers (portal users) must not
# read their own hold reason, exposure, limit or status through the ORM (as
# Odoo hides credit_limit behind its accounting groups). The portal shows what
# the company chose to show through sudo'd reads.
INTERNAL_GROUPS = "base.group_user"

# otc.credit.figures.mixin's figures under the customer's own field names (the
# credit limit is the partner's stored field, not a computed figure)
PARTNER_FIGURES = {
    "receivable": "otc_exposure_receivable",
    "draft_invoices": "otc_exposure_draft_invoices",
    "unbilled_orders": "otc_exposure_unbilled_orders",
    "unallocated": "otc_exposure_unallocated",
    "exposure": "otc_exposure",
    "available_credit": "otc_available_credit",
    "overdue_amount": "otc_overdue_amount",
}

# Credit terms only a Credit Manager may change (salespeople must not be able to
# lift their own customers' limits or holds).
PROTECTED_CREDIT_FIELDS = {
    "credit_limit",
    "use_partner_credit_limit",
    "otc_credit_policy",
    "otc_credit_hold",
    "otc_credit_hold_type",
    "otc_credit_hold_reason",
    "otc_max_overdue_days",
    "otc_credit_review_date",
    "otc_risk_category_id",
}


# Odoo's own credit limit fields among them (account, accounting groups).
ODOO_CREDIT_FIELDS = {"credit_limit", "use_partner_credit_limit"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    otc_credit_policy = fields.Selection(
        CREDIT_POLICY_SELECTION,
        string="Credit Policy",
        company_dependent=True,
        tracking=True,
        help="What happens when an order fails the credit check. Empty: the "
        "company's default policy.",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_hold = fields.Boolean(
        string="Credit Hold",
        company_dependent=True,
        tracking=True,
        groups=INTERNAL_GROUPS,
    )
    otc_credit_hold_type = fields.Selection(
        [("manual", "Manual"), ("auto", "Automatic")],
        string="Hold Type",
        company_dependent=True,
        groups=INTERNAL_GROUPS,
    )
    otc_credit_hold_reason = fields.Char(
        string="Hold Reason",
        company_dependent=True,
        tracking=True,
        groups=INTERNAL_GROUPS,
    )
    otc_max_overdue_days = fields.Integer(
        string="Maximum Days Overdue",
        company_dependent=True,
        tracking=True,
        help="Orders are stopped when an item is overdue for more days than "
        "this. 0: the company's default.",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_review_date = fields.Date(
        string="Next Credit Review",
        company_dependent=True,
        tracking=True,
        groups=INTERNAL_GROUPS,
    )
    otc_risk_category_id = fields.Many2one(
        "otc.credit.risk.category",
        string="Risk Category",
        company_dependent=True,
        tracking=True,
        groups=INTERNAL_GROUPS,
    )
    otc_effective_credit_policy = fields.Selection(
        CREDIT_POLICY_SELECTION,
        string="Applied Credit Policy",
        compute="_compute_otc_credit",
        groups=INTERNAL_GROUPS,
    )
    otc_effective_max_overdue_days = fields.Integer(
        string="Applied Maximum Days Overdue",
        compute="_compute_otc_credit",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_otc_credit",
        groups=INTERNAL_GROUPS,
    )
    otc_exposure = fields.Monetary(
        string="Credit Exposure",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_exposure_receivable = fields.Monetary(
        string="Open Receivables",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_exposure_draft_invoices = fields.Monetary(
        string="Draft Invoices",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_exposure_unbilled_orders = fields.Monetary(
        string="Uninvoiced Orders",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_exposure_unallocated = fields.Monetary(
        string="Unallocated Payments and Credits",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_available_credit = fields.Monetary(
        string="Available Credit",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        compute="_compute_otc_credit",
        currency_field="otc_credit_currency_id",
        groups=INTERNAL_GROUPS,
    )
    otc_oldest_overdue_days = fields.Integer(
        string="Oldest Overdue (days)",
        compute="_compute_otc_credit",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_status = fields.Selection(
        CREDIT_STATUS_SELECTION,
        string="Credit Status",
        compute="_compute_otc_credit",
        groups=INTERNAL_GROUPS,
    )
    otc_credit_approval_count = fields.Integer(
        compute="_compute_otc_credit_approval_count",
        groups=INTERNAL_GROUPS,
    )
    otc_can_edit_credit = fields.Boolean(
        groups=INTERNAL_GROUPS, compute="_compute_otc_can_edit_credit"
    )

    @api.depends_context("company")
    def _compute_otc_credit(self):
        company = self.env.company
        exposures = self.env["otc.credit.exposure"]._get_exposure(self, company)
        today = fields.Date.context_today(self)
        Figures = self.env["otc.credit.figures.mixin"]
        for partner in self:
            exp = exposures.get(partner._origin.id)
            if not exp:  # not saved yet
                partner.update(
                    dict.fromkeys(
                        [
                            name
                            for name, field in self._fields.items()
                            if field.compute == "_compute_otc_credit"
                        ],
                        False,
                    )
                )
                continue
            profile = exp.profile()
            days = credit_engine.overdue_days(today, exp.oldest_due_date)
            partner.otc_effective_credit_policy = profile.policy
            partner.otc_effective_max_overdue_days = profile.max_overdue_days or 0
            partner.otc_credit_currency_id = company.currency_id
            figures = Figures._otc_figure_values(exp, limit=profile.limit)
            partner.update(
                {
                    PARTNER_FIGURES[name]: value
                    for name, value in figures.items()
                    if name in PARTNER_FIGURES
                }
            )
            partner.otc_oldest_overdue_days = days
            partner.otc_credit_status = self._otc_credit_status(
                profile, exp.exposure, days, company
            )

    @api.depends_context("uid")
    def _compute_otc_can_edit_credit(self):
        self.otc_can_edit_credit = self.env.user.has_group(
            "otc_order_to_cash.group_otc_credit_manager"
        )

    def _compute_otc_credit_approval_count(self):
        data = self.env["otc.credit.approval"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in data}
        for partner in self:
            partner.otc_credit_approval_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    @api.model
    def _otc_credit_status(self, profile, exposure, overdue_days, company):
        if profile.on_hold:
            return "hold"
        precision = company.currency_id.rounding
        level = credit_engine.alert_level(
            profile.limit, exposure, company.otc_credit_alert_threshold, precision
        )
        if level == credit_engine.LEVEL_OVER:
            return "over"
        if (
            profile.max_overdue_days is not None
            and overdue_days > profile.max_overdue_days
        ):
            return "overdue"
        return "near" if level == credit_engine.LEVEL_NEAR else "ok"

    @api.model_create_multi
    def create(self, vals_list):
        protected = {
            name for vals in vals_list for name in vals
        } & PROTECTED_CREDIT_FIELDS
        if protected and not self.env.su:
            # A form sends the defaults back (e.g. the company's default
            # limit): only values a user chose need the Credit Manager right.
            defaults = self.default_get(list(protected))
            for vals in vals_list:
                self._otc_check_credit_write_access(
                    {
                        name
                        for name in protected & set(vals)
                        if vals[name] and vals[name] != defaults.get(name)
                    }
                )
        return super().create(vals_list)

    def write(self, vals):
        credit_fields = PROTECTED_CREDIT_FIELDS.intersection(vals)
        if credit_fields and not self.env.su:
            self._otc_check_credit_write_access(credit_fields)
            if credit_fields == set(vals) and self.env.user.has_group(
                "otc_order_to_cash.group_otc_credit_manager"
            ):
                # Credit terms only: a Credit Manager needs no right to edit
                # contacts for that, only to see the customer.
                self.check_access("read")
                return super(ResPartner, self.sudo()).write(vals)
        return super().write(vals)

    def _otc_check_credit_write_access(self, field_names):
        if self.env.su or not PROTECTED_CREDIT_FIELDS.intersection(field_names):
            return
        user = self.env.user
        if user.has_group("otc_order_to_cash.group_otc_credit_manager"):
            return
        # Odoo's own limit stays with the users Odoo gave it to (its accounting
        # groups, with the right to edit contacts, checked by Odoo on write):
        # the restriction applies to the suite's terms, to the AR team below
        # Credit Manager, and to users who had no right to the limit before.
        if (
            not PROTECTED_CREDIT_FIELDS.intersection(field_names) - ODOO_CREDIT_FIELDS
            and not user.has_group("otc_order_to_cash.group_otc_ar_clerk")
            and all(
                self._fields[name].is_accessible(self.env)
                for name in ODOO_CREDIT_FIELDS
            )
        ):
            return
        raise AccessError(
            self.env._(
                "Only Credit Managers can change credit limits, credit "
                "policies and credit holds."
            )
        )

    def action_otc_credit_hold(self):
        self._otc_check_credit_write_access({"otc_credit_hold"})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Put on Credit Hold"),
            "res_model": "otc.credit.hold.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def action_otc_credit_release(self):
        self._otc_check_credit_write_access({"otc_credit_hold"})
        self.commercial_partner_id._otc_release_hold()
        return True

    def action_otc_open_credit_approvals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_order_to_cash.otc_credit_approval_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def _otc_log_note(self, body, message_type="notification"):
        """Note on the customer's chatter, in the name of the current user.

        AR users log on customers without the right to edit contacts, which
        posting on a partner would otherwise require. A ``comment`` counts as a
        contact with the customer on the collector's worklist."""
        for partner in self:
            partner.sudo().message_post(
                body=body,
                message_type=message_type,
                subtype_xmlid="mail.mt_note",
                author_id=self.env.user.partner_id.id,
            )

    def _otc_set_hold(self, reason, hold_type="manual"):
        for partner in self:
            partner.sudo().write(
                {
                    "otc_credit_hold": True,
                    "otc_credit_hold_type": hold_type,
                    "otc_credit_hold_reason": reason,
                }
            )
            partner._otc_log_note(self.env._("Credit hold: %(reason)s", reason=reason))

    def _otc_release_hold(self, note=None):
        for partner in self.filtered("otc_credit_hold"):
            partner.sudo().write(
                {
                    "otc_credit_hold": False,
                    "otc_credit_hold_type": False,
                    "otc_credit_hold_reason": False,
                }
            )
            partner._otc_log_note(note or self.env._("Credit hold released."))
