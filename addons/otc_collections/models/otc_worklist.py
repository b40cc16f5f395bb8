from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

from ..engine import priority as priority_engine


class OtcWorklist(models.Model):
    """Collector worklist: one line per customer with overdue items, per company.

    Lines are rebuilt set-based (one query per source, the priority engine in
    between) by the hourly job or the *Refresh* button, and stored so that a
    collector's list of thousands of customers opens, sorts and filters like
    any list. Assignment follows the customer's own collector, else the first
    matching rule, else the company's default collector.
    """

    _name = "otc.worklist"
    _description = "Collector Worklist"
    _order = "priority desc, overdue_amount desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    collector_id = fields.Many2one("res.users", readonly=True, index=True)
    salesperson_id = fields.Many2one("res.users", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    overdue_amount = fields.Monetary(readonly=True)
    oldest_overdue_days = fields.Integer(string="Days Overdue", readonly=True)
    avg_days_late = fields.Float(string="Avg. Days Late (12 months)", readonly=True)
    broken_promises = fields.Integer(readonly=True)
    promises = fields.Integer(string="Promises Made", readonly=True)
    priority = fields.Float(readonly=True, aggregator="max")
    open_dispute_count = fields.Integer(string="Open Disputes", readonly=True)
    disputed_amount = fields.Monetary(readonly=True)
    open_promise_count = fields.Integer(string="Open Promises", readonly=True)
    next_promise_date = fields.Date(readonly=True)
    predicted_date = fields.Date(
        string="Expected Payment",
        readonly=True,
        help="The earliest predicted payment date of the customer's overdue "
        "invoices (daily payment-date prediction; a promise replaces it).",
    )
    last_contact_date = fields.Datetime(string="Last Contact", readonly=True)
    next_action_date = fields.Date(string="Next Action", readonly=True)
    next_action_summary = fields.Char(readonly=True)
    refreshed_on = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "partner_company_unique",
            "unique(partner_id, company_id)",
            "One line per customer.",
        )
    ]

    @api.model
    def action_refresh(self):
        # Public method: the refresh below runs set-based SQL for whole
        # companies, so the caller's right is checked before, not after.
        self.check_access("read")
        self._refresh(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _cron_refresh(self):
        # One company per unit, committed and reported in a scheduled run; a
        # refresh meeting a concurrent writer is tried again in a new
        # transaction instead of failing the job for every company.
        run_batches(
            self.env,
            self.env["res.company"].search([]).ids,
            lambda ids: self._refresh(self.env["res.company"].browse(ids)),
            batch_size=1,
            label="Worklist refresh",
        )

    @api.model
    def _refresh(self, companies):
        for company in companies:
            self._refresh_company(company)

    @api.model
    def _refresh_company(self, company):
        self.env.flush_all()
        cr = self.env.cr
        # Customers with overdue items, from the same figures as Credit Control.
        cr.execute(
            SQL(
                """
                SELECT c.partner_id, c.overdue_amount, c.oldest_overdue_days,
                       c.user_id, c.country_id, co.code
                  FROM otc_credit_control c
                  LEFT JOIN res_country co ON co.id = c.country_id
                 WHERE c.company_id = %s AND c.overdue_amount > 0
                """,
                company.id,
            )
        )
        rows = cr.fetchall()
        partner_ids = [row[0] for row in rows]
        history = self._payment_history(company, partner_ids)
        promises = self._promise_figures(company, partner_ids)
        disputes = self._dispute_figures(company, partner_ids)
        contacts = self._contact_figures(partner_ids)
        predicted = self._prediction_figures(company, partner_ids)
        accounts = [
            priority_engine.Account(
                customer=pid,
                overdue_amount=overdue,
                days_overdue=days,
                avg_days_late=history.get(pid),
                promises_made=promises.get(pid, {}).get("made", 0),
                promises_broken=promises.get(pid, {}).get("broken", 0),
                country=country_code,
                salesperson=user_id,
            )
            for pid, overdue, days, user_id, _country_id, country_code in rows
        ]
        scores = {
            account.customer: scored.score
            for account, scored in priority_engine.rank(accounts)
        }
        rules = [
            priority_engine.Rule(
                collector=rule.collector_id.id,
                sequence=rule.sequence,
                countries=frozenset(rule.country_ids.mapped("code")),
                salespersons=frozenset(rule.salesperson_ids.ids),
                min_amount=rule.min_amount or None,
                max_amount=rule.max_amount or None,
            )
            for rule in self.env["otc.collector.rule"].search(
                [("company_id", "=", company.id)]
            )
        ]
        overrides = self._collector_overrides(company, partner_ids)
        collectors = priority_engine.assign(
            accounts, rules, overrides, company.otc_default_collector_id.id or None
        )
        now = fields.Datetime.now()
        values = [
            (
                pid,
                company.id,
                collectors.get(pid),
                user_id,
                country_id,
                overdue,
                days,
                history.get(pid) or 0.0,
                promises.get(pid, {}).get("broken", 0),
                promises.get(pid, {}).get("made", 0),
                scores.get(pid, 0.0),
                disputes.get(pid, (0, 0.0))[0],
                disputes.get(pid, (0, 0.0))[1],
                promises.get(pid, {}).get("open", 0),
                promises.get(pid, {}).get("next_date"),
                predicted.get(pid),
                contacts.get(pid, (None, None, None))[0],
                contacts.get(pid, (None, None, None))[1],
                contacts.get(pid, (None, None, None))[2],
                now,
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
            for pid, overdue, days, user_id, country_id, _code in rows
        ]
        # Rebuilt whole, in the caller's transaction: a reader never sees half a list.
        cr.execute(SQL("DELETE FROM otc_worklist WHERE company_id = %s", company.id))
        if values:
            cr.execute(
                SQL(
                    """
                    INSERT INTO otc_worklist (
                        partner_id, company_id, collector_id, salesperson_id, country_id,
                        overdue_amount, oldest_overdue_days, avg_days_late,
                        broken_promises, promises, priority, open_dispute_count,
                        disputed_amount, open_promise_count, next_promise_date,
                        predicted_date, last_contact_date, next_action_date, next_action_summary,
                        refreshed_on, create_uid, create_date, write_uid, write_date)
                    SELECT * FROM unnest(
                        %s::int[], %s::int[], %s::int[], %s::int[], %s::int[],
                        %s::numeric[], %s::int[], %s::float8[], %s::int[], %s::int[],
                        %s::float8[], %s::int[], %s::numeric[], %s::int[], %s::date[],
                        %s::date[], %s::timestamp[], %s::date[], %s::varchar[], %s::timestamp[],
                        %s::int[], %s::timestamp[], %s::int[], %s::timestamp[])
                    """,
                    *[list(column) for column in zip(*values)],
                )
            )
        self.invalidate_model()

    @api.model
    def _payment_history(self, company, partner_ids):
        """Average days late of the payments of the last 12 months."""
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT inv.commercial_partner_id,
                       AVG(GREATEST(apr.max_date - inv.invoice_date_due, 0))
                  FROM account_partial_reconcile apr
                  JOIN account_move_line l ON l.id = apr.debit_move_id
                  JOIN account_move inv ON inv.id = l.move_id
                 WHERE inv.commercial_partner_id = ANY(%s)
                   AND inv.company_id = %s
                   AND inv.move_type = 'out_invoice'
                   AND apr.max_date >= CURRENT_DATE - 365
                 GROUP BY inv.commercial_partner_id
                """,
                partner_ids,
                company.id,
            )
        )
        return {pid: float(days) for pid, days in self.env.cr.fetchall()}

    @api.model
    def _promise_figures(self, company, partner_ids):
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id,
                       COUNT(*) FILTER (WHERE state IN ('kept', 'broken')),
                       COUNT(*) FILTER (WHERE state = 'broken'),
                       COUNT(*) FILTER (WHERE state = 'open'),
                       MIN(promise_date) FILTER (WHERE state = 'open')
                  FROM otc_promise
                 WHERE partner_id = ANY(%s) AND company_id = %s
                 GROUP BY partner_id
                """,
                partner_ids,
                company.id,
            )
        )
        return {
            pid: {"made": made, "broken": broken, "open": open_, "next_date": next_date}
            for pid, made, broken, open_, next_date in self.env.cr.fetchall()
        }

    @api.model
    def _prediction_figures(self, company, partner_ids):
        """{customer: earliest predicted payment date of its overdue invoices}."""
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, MIN(predicted_date)
                  FROM otc_payment_prediction
                 WHERE partner_id = ANY(%s) AND company_id = %s
                   AND due_date < %s
                 GROUP BY partner_id
                """,
                partner_ids,
                company.id,
                fields.Date.context_today(self),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _dispute_figures(self, company, partner_ids):
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, COUNT(*), SUM(disputed_amount)
                  FROM otc_dispute
                 WHERE partner_id = ANY(%s) AND company_id = %s AND state = 'open'
                 GROUP BY partner_id
                """,
                partner_ids,
                company.id,
            )
        )
        return {pid: (count, amount) for pid, count, amount in self.env.cr.fetchall()}

    @api.model
    def _contact_figures(self, partner_ids):
        """Last logged contact (note or message) and next planned activity."""
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id,
                       (SELECT MAX(m.date) FROM mail_message m
                         WHERE m.model = 'res.partner' AND m.res_id = p.id
                           AND m.message_type = 'comment'),
                       a.date_deadline, a.summary
                  FROM unnest(%s::int[]) AS p(id)
                  LEFT JOIN LATERAL (
                        SELECT date_deadline, summary FROM mail_activity
                         WHERE res_model = 'res.partner' AND res_id = p.id
                         ORDER BY date_deadline, id LIMIT 1
                  ) a ON TRUE
                """,
                partner_ids,
            )
        )
        return {
            pid: (last, nxt, summary)
            for pid, last, nxt, summary in self.env.cr.fetchall()
        }

    @api.model
    def _collector_overrides(self, company, partner_ids):
        if not partner_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT id, (otc_collector_id ->> %s)::int
                  FROM res_partner
                 WHERE id = ANY(%s) AND otc_collector_id ? %s
                """,
                str(company.id),
                partner_ids,
                str(company.id),
            )
        )
        return {pid: uid for pid, uid in self.env.cr.fetchall() if uid}

    def action_log_call(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": "otc.worklist.log.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_worklist_id": self.id, "default_kind": "call"},
        }

    def action_log_note(self):
        action = self.action_log_call()
        action["name"] = self.env._("Log a Note")
        action["context"]["default_kind"] = "note"
        return action

    def action_statement(self):
        self.ensure_one()
        return self.env["otc.statement.wizard"]._action_open(
            self.partner_id, self.company_id
        )

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
