from odoo import fields, models, tools
from odoo.tools import SQL

from .res_company import CREDIT_POLICY_SELECTION
from .res_partner import CREDIT_STATUS_SELECTION


class OtcCreditControl(models.Model):
    """Credit Control list: one row per customer (commercial entity) and company.

    A read-only SQL view over the same exposure query as the credit check, so
    that filtering, sorting and grouping on exposure, available credit or
    overdue days happen in PostgreSQL for the whole customer base at once.
    """

    _name = "otc.credit.control"
    _description = "Credit Control"
    _inherit = ["otc.credit.figures.mixin"]
    _auto = False
    _order = "usage_percent desc, exposure desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    risk_category_id = fields.Many2one("otc.credit.risk.category", readonly=True)
    credit_policy = fields.Selection(CREDIT_POLICY_SELECTION, readonly=True)
    usage_percent = fields.Float(string="Limit Used (%)", readonly=True)
    oldest_due_date = fields.Date(string="Oldest Overdue Due Date", readonly=True)
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True)
    max_overdue_days = fields.Integer(string="Max Days Overdue", readonly=True)
    on_hold = fields.Boolean(readonly=True)
    hold_reason = fields.Char(readonly=True)
    review_date = fields.Date(string="Next Review", readonly=True)
    credit_status = fields.Selection(CREDIT_STATUS_SELECTION, readonly=True)

    def _query(self):
        keys = SQL(
            """
            SELECT p.id AS key_id, p.id AS partner_id, c.id AS company_id
              FROM res_partner p
              JOIN res_company c ON p.company_id IS NULL OR p.company_id = c.id
             WHERE p.id = p.commercial_partner_id
               AND p.active
               AND p.customer_rank > 0
            """
        )
        exposure = self.env["otc.credit.exposure"]._exposure_query(keys)
        # Same statuses as res.partner._otc_credit_status, in SQL for filtering.
        return SQL(
            """
            SELECT (e.key_id::bigint << 20) + e.company_id AS id,
                   e.key_id AS partner_id, e.company_id, c.currency_id,
                   p.user_id, p.country_id, e.risk_category_id,
                   e.credit_policy, e.credit_limit,
                   e.receivable, e.draft_invoices, e.unbilled_orders, e.unallocated,
                   e.exposure,
                   CASE WHEN e.credit_limit > 0 THEN e.credit_limit - e.exposure ELSE 0 END
                       AS available_credit,
                   CASE WHEN e.credit_limit > 0 THEN 100.0 * e.exposure / e.credit_limit ELSE 0 END
                       AS usage_percent,
                   e.overdue_amount, e.oldest_due_date,
                   COALESCE(CURRENT_DATE - e.oldest_due_date, 0) AS oldest_overdue_days,
                   e.max_overdue_days, e.on_hold, e.hold_reason, e.review_date,
                   CASE WHEN e.on_hold THEN 'hold'
                        WHEN e.credit_limit > 0 AND e.exposure - e.credit_limit > cur.rounding / 2
                             THEN 'over'
                        WHEN e.max_overdue_days IS NOT NULL
                             AND COALESCE(CURRENT_DATE - e.oldest_due_date, 0) > e.max_overdue_days
                             THEN 'overdue'
                        WHEN e.credit_limit > 0 AND c.otc_credit_alert_threshold > 0
                             AND e.credit_limit * c.otc_credit_alert_threshold / 100.0 - e.exposure
                                 <= cur.rounding / 2
                             THEN 'near'
                        ELSE 'ok'
                   END AS credit_status
              FROM (%s) e
              JOIN res_partner p ON p.id = e.key_id
              JOIN res_company c ON c.id = e.company_id
              JOIN res_currency cur ON cur.id = c.currency_id
            """,
            exposure,
        )

    def init(self):
        # reads the open-item summary, created by otc.credit.exposure's init()
        # (registered before this model; see hooks.py)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "context": {"allowed_company_ids": [self.company_id.id]},
        }

    def action_export_xlsx(self):
        return (
            self.env["otc.credit.control.export"]
            .create({"control_ids": [fields.Command.set(self.ids)]})
            .action_export()
        )
