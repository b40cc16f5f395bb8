from odoo import api, fields, models
from odoo.exceptions import ValidationError

CREDIT_POLICY_SELECTION = [
    ("block", "Block"),
    ("warn", "Warn"),
    ("approval", "Require approval"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    # Settings are internal (portal users read their company): groups= on each.

    otc_credit_check = fields.Boolean(
        string="Credit Check on Sales",
        default=True,
        help="Check the customer's credit when a sale order is confirmed.",
        groups="base.group_user",
    )
    otc_default_credit_policy = fields.Selection(
        CREDIT_POLICY_SELECTION,
        string="Default Credit Policy",
        # Installing the suite keeps what Odoo did (over-limit orders are
        # confirmed with a warning) until a credit manager chooses to block or
        # to ask for approval. Not required: a company created by a user who
        # cannot see the suite's settings (or imported without them) must be
        # created all the same; the credit check falls back to "warn".
        default="warn",
        help="Empty: Warn.",
        groups="base.group_user",
    )
    otc_check_overdue = fields.Boolean(
        string="Check Overdue Items",
        default=True,
        help="Stop orders of customers whose oldest overdue item is older than "
        "the allowed number of days.",
        groups="base.group_user",
    )
    otc_default_max_overdue_days = fields.Integer(
        string="Default Maximum Days Overdue",
        default=30,
        groups="base.group_user",
    )
    otc_exposure_receivable = fields.Boolean(
        string="Open Receivables in Exposure",
        default=True,
        groups="base.group_user",
    )
    otc_exposure_draft_invoices = fields.Boolean(
        string="Draft Invoices in Exposure",
        default=True,
        groups="base.group_user",
    )
    otc_exposure_unbilled_orders = fields.Boolean(
        string="Uninvoiced Orders in Exposure",
        default=True,
        groups="base.group_user",
    )
    otc_exposure_unallocated = fields.Boolean(
        string="Deduct Unallocated Payments and Credits",
        default=True,
        groups="base.group_user",
    )
    otc_credit_alert_threshold = fields.Float(
        string="Credit Alert Threshold (%)",
        default=80.0,
        help="Raise an activity for the credit manager when a customer's "
        "exposure reaches this share of its credit limit.",
        groups="base.group_user",
    )
    otc_auto_hold_overdue = fields.Boolean(
        string="Automatic Credit Hold",
        help="Put customers on credit hold automatically when their oldest "
        "overdue item exceeds the allowed days, and release them when it no "
        "longer does.",
        groups="base.group_user",
    )
    otc_credit_manager_id = fields.Many2one(
        "res.users",
        string="Credit Manager",
        help="Receives credit approval requests and credit alerts. When empty, "
        "the first user of the Credit Manager group does.",
        groups="base.group_user",
    )
    otc_return_settle_default = fields.Selection(
        [("refund", "Refund to the Customer"), ("credit", "Keep as Customer Credit")],
        string="Settle Paid Returns by",
        default="refund",
        help="When the returned goods were already paid for: refund the credit "
        "note (through the payment provider when the invoice was paid online and "
        "the provider refunds, else an outgoing payment) or keep it as credit on "
        "the customer's account. Each return may choose otherwise.",
        groups="base.group_user",
    )
    otc_return_window_days = fields.Integer(
        string="Return Window (days)",
        default=30,
        help="Days after delivery within which a customer may return goods; a "
        "later return needs a Credit Manager's approval. 0: no window. Product "
        "categories may set their own.",
        groups="base.group_user",
    )

    # cash application
    otc_cash_auto_match = fields.Boolean(
        string="Match Incoming Payments Automatically",
        default=True,
        help="Match new bank statement lines with open customer items as soon as "
        "they are imported, and on a schedule.",
        groups="base.group_user",
    )
    otc_cash_auto_threshold = fields.Float(
        string="Automatic Reconciliation Threshold (%)",
        default=90.0,
        help="A statement line whose best candidate scores at least this is "
        "reconciled automatically; below it, the best candidates are kept as "
        "suggestions for the AR team.",
        groups="base.group_user",
    )
    otc_cash_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Payment Difference Account",
        check_company=True,
        domain="[('deprecated', '=', False), "
        "('account_type', 'in', ('expense', 'expense_direct_cost', 'income_other'))]",
        help="Bank fees and small differences deducted by the payer are written "
        "off to this account.",
        groups="base.group_user",
    )
    otc_cash_writeoff_limit = fields.Monetary(
        string="Write-off Limit",
        currency_field="currency_id",
        default=10.0,
        help="Largest difference written off on one payment; above it, the rest "
        "stays open on the invoice.",
        groups="base.group_user",
    )
    otc_cash_fee_tolerance = fields.Monetary(
        string="Bank Fee Tolerance",
        currency_field="currency_id",
        default=5.0,
        help="A payment short of the amount due by at most this amount (or by "
        "the percentage below, whichever is larger) is read as a bank fee.",
        groups="base.group_user",
    )
    otc_cash_fee_tolerance_pct = fields.Float(
        string="Bank Fee Tolerance (%)",
        default=0.5,
        help="A payment short of the amount due by at most this share of it (or "
        "by the amount above, whichever is larger) is read as a bank fee.",
        groups="base.group_user",
    )

    @api.constrains(
        "otc_credit_alert_threshold",
        "otc_default_max_overdue_days",
        "otc_cash_auto_threshold",
        "otc_cash_writeoff_limit",
        "otc_cash_fee_tolerance",
        "otc_cash_fee_tolerance_pct",
    )
    def _check_otc_credit_settings(self):
        for company in self:
            if not 0 <= company.otc_cash_auto_threshold <= 100:
                raise ValidationError(
                    self.env._(
                        "The automatic reconciliation threshold is a percentage "
                        "between 0 and 100."
                    )
                )
            if (
                company.otc_cash_writeoff_limit < 0
                or company.otc_cash_fee_tolerance < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The write-off limit and the bank fee tolerance cannot be "
                        "negative."
                    )
                )
            if not 0 <= company.otc_cash_fee_tolerance_pct <= 100:
                raise ValidationError(
                    self.env._(
                        "The bank fee tolerance is a percentage between 0 and 100."
                    )
                )
            if not 0 <= company.otc_credit_alert_threshold <= 100:
                raise ValidationError(
                    self.env._(
                        "The credit alert threshold is a percentage between 0 and 100."
                    )
                )
            if company.otc_default_max_overdue_days < 0:
                raise ValidationError(
                    self.env._("The maximum days overdue cannot be negative.")
                )

    def _otc_ensure_cash_writeoff_account(self):
        """Give companies with a chart a Payment Difference Account.

        Without one, the write-off limit and the bank fee tolerance are 0: a
        receipt short of a bank fee is applied as a partial payment and the
        fee stays open on the invoice. The chart's bank fee account is taken
        (the generic chart's "Bank Fees"); a chart without one gets a "Bank
        Fees" expense account next to its cash difference loss account.
        Companies without a chart are left alone: loading one calls this
        again (``account.chart.template._post_load_data``).
        """
        for company in self.sudo():
            if company.otc_cash_writeoff_account_id or not company.chart_template:
                continue
            chart = company.env["account.chart.template"].with_company(company)
            account = chart.ref("expense_finance", raise_if_not_found=False)
            if not (
                account
                and account.company_ids & company.parent_ids
                and not account.deprecated
                and account.account_type == "expense"
            ):
                account = company._otc_create_bank_fee_account()
            company.otc_cash_writeoff_account_id = account

    def _otc_create_bank_fee_account(self):
        self.ensure_one()
        # branches share the accounts of their root company
        root = self.root_id
        Account = self.env["account.account"].sudo().with_company(root)
        start = (
            root.default_cash_difference_expense_account_id.with_company(root).code
            or "6200"
        )
        return Account.create(
            {
                "name": self.env._("Bank Fees"),
                "code": Account._search_new_account_code(start),
                "account_type": "expense",
                "company_ids": [(6, 0, root.ids)],
            }
        )

    def _otc_get_credit_manager(self):
        """The user who receives credit requests and alerts for this company."""
        self.ensure_one()
        if self.otc_credit_manager_id:
            return self.otc_credit_manager_id
        group = self.env.ref("otc_order_to_cash.group_otc_credit_manager")
        users = (
            group.sudo()
            .users.filtered(
                lambda u: self in u.company_ids and not u.share and u.active
            )
            .sorted("id")
        )
        # The superuser is in the manager group for administration, not to work
        # the queue: prefer a real person.
        real = users.filtered(lambda u: u.id != self.env.ref("base.user_root").id)
        return (real or users)[:1]
