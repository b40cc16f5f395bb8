from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    otc_credit_check = fields.Boolean(
        related="company_id.otc_credit_check", readonly=False
    )
    otc_default_credit_policy = fields.Selection(
        related="company_id.otc_default_credit_policy", readonly=False
    )
    otc_check_overdue = fields.Boolean(
        related="company_id.otc_check_overdue", readonly=False
    )
    otc_default_max_overdue_days = fields.Integer(
        related="company_id.otc_default_max_overdue_days", readonly=False
    )
    otc_exposure_receivable = fields.Boolean(
        related="company_id.otc_exposure_receivable", readonly=False
    )
    otc_exposure_draft_invoices = fields.Boolean(
        related="company_id.otc_exposure_draft_invoices", readonly=False
    )
    otc_exposure_unbilled_orders = fields.Boolean(
        related="company_id.otc_exposure_unbilled_orders", readonly=False
    )
    otc_exposure_unallocated = fields.Boolean(
        related="company_id.otc_exposure_unallocated", readonly=False
    )
    otc_credit_alert_threshold = fields.Float(
        related="company_id.otc_credit_alert_threshold", readonly=False
    )
    otc_auto_hold_overdue = fields.Boolean(
        related="company_id.otc_auto_hold_overdue", readonly=False
    )
    otc_credit_manager_id = fields.Many2one(
        related="company_id.otc_credit_manager_id", readonly=False
    )
    otc_return_window_days = fields.Integer(
        related="company_id.otc_return_window_days", readonly=False
    )
    otc_return_settle_default = fields.Selection(
        related="company_id.otc_return_settle_default", readonly=False
    )
    otc_cash_auto_match = fields.Boolean(
        related="company_id.otc_cash_auto_match", readonly=False
    )
    otc_cash_auto_threshold = fields.Float(
        related="company_id.otc_cash_auto_threshold", readonly=False
    )
    otc_cash_writeoff_account_id = fields.Many2one(
        related="company_id.otc_cash_writeoff_account_id", readonly=False
    )
    otc_cash_writeoff_limit = fields.Monetary(
        related="company_id.otc_cash_writeoff_limit", readonly=False
    )
    otc_cash_fee_tolerance = fields.Monetary(
        related="company_id.otc_cash_fee_tolerance", readonly=False
    )
    otc_cash_fee_tolerance_pct = fields.Float(
        related="company_id.otc_cash_fee_tolerance_pct", readonly=False
    )
