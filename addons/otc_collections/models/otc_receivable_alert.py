from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

KINDS = [
    ("dso_high", "DSO above threshold"),
    ("cei_low", "CEI below threshold"),
    ("worsening", "Customer paying later"),
    ("large_late", "Large invoice predicted late"),
    ("ledger_mismatch", "Open items differ from the ledger"),
    ("no_customer", "Receivable item without customer"),
    ("wrong_account", "Customer invoice not on a receivable account"),
    ("paid_unreconciled", "Paid but not reconciled"),
]
INTEGRITY_KINDS = (
    "ledger_mismatch",
    "no_customer",
    "wrong_account",
    "paid_unreconciled",
)


class OtcReceivableAlert(models.Model):
    """A KPI threshold crossed or a receivables defect found, once per event.

    The daily check (``_cron_check``) lists what is true today for each
    company — KPI thresholds of the company (off when 0), customers whose
    days late grew, large invoices predicted late, and the subledger-vs-ledger
    checks — each with an *event key* that names the event (the KPI and the
    month, the invoice, the journal item...). Only keys not seen before
    become alerts (a unique constraint makes a concurrent run harmless), and
    each new alert gets one activity for the customer's collector, else the
    company's credit manager, else the AR manager running the check: an
    event raises one activity, however often the check runs.
    """

    _name = "otc.receivable.alert"
    _description = "Receivables Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    event_key = fields.Char(required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    move_line_id = fields.Many2one(
        "account.move.line", string="Journal Item", readonly=True
    )
    value = fields.Float(digits=(16, 2), readonly=True)
    threshold = fields.Float(digits=(16, 2), readonly=True)
    integrity = fields.Boolean(compute="_compute_integrity", store=True)
    state = fields.Selection(
        [("new", "New"), ("done", "Handled")],
        default="new",
        required=True,
        tracking=True,
    )

    _sql_constraints = [
        (
            "otc_alert_event_unique",
            "UNIQUE(company_id, event_key)",
            "An event raises one alert.",
        )
    ]

    @api.depends("kind")
    def _compute_integrity(self):
        for alert in self:
            alert.integrity = alert.kind in INTEGRITY_KINDS

    def action_done(self):
        self.write({"state": "done"})
        self.activity_ids.action_feedback()

    # ------------------------------------------------------------- checks
    def _otc_kpi_events(self, company, today):
        """Threshold events of the KPIs of the last 3 months (one per month)."""
        events = []
        month = today.strftime("%Y-%m")
        if not (company.otc_alert_dso_above or company.otc_alert_cei_below):
            return events
        report = self.env["otc.receivable.kpi"].create(
            {
                "company_id": company.id,
                "date_from": today - relativedelta(months=3),
                "date_to": today,
            }
        )
        for model in ("account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        _figures, kpis = report._otc_period(report.date_from, report.date_to)
        if kpis.dso is not None and 0 < company.otc_alert_dso_above < kpis.dso:
            events.append(
                {
                    "kind": "dso_high",
                    "event_key": f"dso_high:{month}",
                    "value": kpis.dso,
                    "threshold": company.otc_alert_dso_above,
                }
            )
        if kpis.cei is not None and kpis.cei < company.otc_alert_cei_below:
            events.append(
                {
                    "kind": "cei_low",
                    "event_key": f"cei_low:{month}",
                    "value": kpis.cei,
                    "threshold": company.otc_alert_cei_below,
                }
            )
        return events

    def _otc_customer_events(self, company, today):
        """Customers paying later than before; large invoices predicted late."""
        events = []
        month = today.strftime("%Y-%m")
        if company.otc_alert_worsening_days:
            report = self.env["otc.receivable.kpi"].create(
                {
                    "company_id": company.id,
                    "date_from": today - relativedelta(months=3),
                    "date_to": today,
                }
            )
            for partner_id, _before, _now, delta in report._otc_worsening(limit=1000):
                if delta > company.otc_alert_worsening_days:
                    events.append(
                        {
                            "kind": "worsening",
                            "event_key": f"worsening:{partner_id}:{month}",
                            "partner_id": partner_id,
                            "value": delta,
                            "threshold": company.otc_alert_worsening_days,
                        }
                    )
        if company.otc_alert_large_amount:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT move_id, partner_id, predicted_days_late
                      FROM otc_payment_prediction
                     WHERE company_id = %s
                       AND amount_residual_company >= %s
                       AND predicted_days_late > %s
                    """,
                    company.id,
                    company.otc_alert_large_amount,
                    company.otc_alert_large_late_days,
                )
            )
            for move_id, partner_id, late in self.env.cr.fetchall():
                events.append(
                    {
                        "kind": "large_late",
                        "event_key": f"large_late:{move_id}",
                        "move_id": move_id,
                        "partner_id": partner_id,
                        "value": late,
                        "threshold": company.otc_alert_large_late_days,
                    }
                )
        return events

    def _otc_integrity_events(self, company):
        """Subledger vs ledger: what would make the open items disagree with
        the receivable accounts, each item or customer once."""
        for model in ("account.move", "account.move.line"):
            self.env[model].flush_model()
        events = []
        receivable = SQL(
            """
            FROM account_move_line aml
            JOIN account_account acc ON acc.id = aml.account_id
           WHERE aml.company_id = %s
             AND aml.parent_state = 'posted'
             AND acc.account_type = 'asset_receivable'
            """,
            company.id,
        )
        # per customer: what the ledger says is owed vs the open items
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.partner_id, SUM(aml.balance), SUM(aml.amount_residual)
                %s AND aml.partner_id IS NOT NULL
                GROUP BY 1
                HAVING ROUND(SUM(aml.balance) - SUM(aml.amount_residual), 2) <> 0
                """,
                receivable,
            )
        )
        for partner_id, balance, residual in self.env.cr.fetchall():
            events.append(
                {
                    "kind": "ledger_mismatch",
                    "event_key": f"ledger_mismatch:{partner_id}:{round(balance - residual, 2)}",
                    "partner_id": partner_id,
                    "value": balance - residual,
                }
            )
        self.env.cr.execute(
            SQL("SELECT aml.id, aml.balance %s AND aml.partner_id IS NULL", receivable)
        )
        for line_id, balance in self.env.cr.fetchall():
            events.append(
                {
                    "kind": "no_customer",
                    "event_key": f"no_customer:{line_id}",
                    "move_line_id": line_id,
                    "value": balance,
                }
            )
        # a customer whose open debits and open credits cancel out: its
        # invoices are paid, the payments were never reconciled with them
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.partner_id, SUM(aml.amount_residual) FILTER (WHERE aml.amount_residual > 0)
                %s AND aml.partner_id IS NOT NULL AND NOT aml.reconciled
                GROUP BY 1
                HAVING ROUND(SUM(aml.amount_residual), 2) = 0
                   AND COUNT(*) FILTER (WHERE aml.amount_residual > 0) > 0
                   AND COUNT(*) FILTER (WHERE aml.amount_residual < 0) > 0
                """,
                receivable,
            )
        )
        for partner_id, amount in self.env.cr.fetchall():
            events.append(
                {
                    "kind": "paid_unreconciled",
                    "event_key": f"paid_unreconciled:{partner_id}:{round(amount, 2)}",
                    "partner_id": partner_id,
                    "value": amount,
                }
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.id, aml.move_id, aml.partner_id, aml.balance
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                 WHERE aml.company_id = %s
                   AND aml.parent_state = 'posted'
                   AND aml.display_type = 'payment_term'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND acc.account_type != 'asset_receivable'
                """,
                company.id,
            )
        )
        for line_id, move_id, partner_id, balance in self.env.cr.fetchall():
            events.append(
                {
                    "kind": "wrong_account",
                    "event_key": f"wrong_account:{line_id}",
                    "move_line_id": line_id,
                    "move_id": move_id,
                    "partner_id": partner_id,
                    "value": balance,
                }
            )
        return events

    # -------------------------------------------------------------- write
    def _otc_raise(self, company, events, today):
        """Create the alerts whose event is new, each with one activity."""
        if not events:
            return self.browse()
        known = set(
            self.sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("event_key", "in", [e["event_key"] for e in events]),
                ]
            )
            .mapped("event_key")
        )
        labels = dict(KINDS)
        new = [e for e in events if e["event_key"] not in known]
        alerts = self.sudo().create(
            [
                {
                    "name": labels[e["kind"]],
                    "kind": e["kind"],
                    "company_id": company.id,
                    "date": today,
                    "event_key": e["event_key"],
                    "partner_id": e.get("partner_id"),
                    "move_id": e.get("move_id"),
                    "move_line_id": e.get("move_line_id"),
                    "value": e.get("value") or 0.0,
                    "threshold": e.get("threshold") or 0.0,
                }
                for e in new
            ]
        )
        activity_type = self.env.ref(
            "otc_collections.mail_activity_type_otc_receivable_alert"
        )
        fallback = company.otc_credit_manager_id or self.env.user
        for alert in alerts:
            user = fallback
            if alert.partner_id and not alert.integrity:
                user = (
                    alert.partner_id.with_company(company).otc_collector_id or fallback
                )
            alert.activity_schedule(
                activity_type_id=activity_type.id,
                summary=alert.name,
                user_id=user.id,
            )
        return alerts

    @api.model
    def _otc_check_company(self, company, today=None):
        today = today or fields.Date.context_today(self)
        events = (
            self._otc_kpi_events(company, today)
            + self._otc_customer_events(company, today)
            + self._otc_integrity_events(company)
        )
        return self._otc_raise(company, events, today)

    @api.model
    def _cron_check(self):
        """Daily: every company's checks, one company per committed unit."""
        Company = self.env["res.company"]
        return run_batches(
            self.env,
            Company.search([]).ids,
            lambda ids: [self._otc_check_company(Company.browse(cid)) for cid in ids],
            batch_size=1,
            label="Receivables alerts",
        )
