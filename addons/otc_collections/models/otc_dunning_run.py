import logging
import time

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

from ..engine import dunning as dunning_engine

_logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
STALE_RUN = "2 hours"


class OtcDunningRun(models.Model):
    """A dunning run: every overdue customer of a company moved to its next level.

    Set-based: one query reads every open receivable item, the dunning
    engine decides per customer, and communications (with their lines, the
    items' dunning history) are written in batches. Scheduled runs commit
    each batch and report progress; a run cut short is run again and only
    does what is left, since a customer's level and date are written with
    its communication and the engine never moves a customer twice a day.
    A partial unique index lets one run per company be running at a time.
    """

    _name = "otc.dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        tracking=True,
    )
    started_on = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)
    item_count = fields.Integer(string="Items Read", readonly=True)
    communication_ids = fields.One2many("otc.dunning.communication", "run_id")
    communication_count = fields.Integer(compute="_compute_communication_count")
    failure_count = fields.Integer(
        string="Failed Sendings",
        compute="_compute_communication_count",
        help="Communications of this run whose sending failed (each is marked "
        "with its error and can be sent again).",
    )
    error = fields.Text(readonly=True)

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS otc_dunning_run_one_running
                ON otc_dunning_run (company_id) WHERE state = 'running'
            """
        )

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Dunning %(date)s", date=run.date)

    def _compute_communication_count(self):
        data = self.env["otc.dunning.communication"]._read_group(
            [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
        )
        counts, failures = {}, {}
        for run, state, count in data:
            counts[run.id] = counts.get(run.id, 0) + count
            if state == "failed":
                failures[run.id] = count
        for run in self:
            run.communication_count = counts.get(run.id, 0)
            run.failure_count = failures.get(run.id, 0)

    def action_run(self):
        for run in self:
            run._run()
        return True

    def action_open_communications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.otc_dunning_communication_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_failures(self):
        action = self.action_open_communications()
        action["domain"] = [("run_id", "=", self.id), ("state", "=", "failed")]
        return action

    @api.model
    def _cron_run(self):
        for company in self.env["res.company"].search(
            [("otc_default_dunning_policy_id", "!=", False)]
        ):
            run = self.create({"company_id": company.id})
            self.env.cr.commit()  # pylint: disable=invalid-commit
            try:
                run._run(commit=True)
            except UserError as error:
                # Another run of the company is going on: say so on this one
                # and go on with the other companies.
                self.env.cr.rollback()
                run.write({"state": "failed", "error": str(error)})
                self.env.cr.commit()  # pylint: disable=invalid-commit
            except Exception:
                # _run() recorded the failure on the run; the other companies
                # are still dunned today.
                self.env.cr.rollback()
                _logger.exception("Dunning run of %s failed", company.name)

    def _claim(self):
        """Mark the run running, unless another run of its company is."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE otc_dunning_run
                   SET state = 'failed', error = %s
                 WHERE company_id = %s AND state = 'running'
                   AND started_on < (now() at time zone 'UTC') - %s::interval
                """,
                self.env._("Stopped: did not finish in time."),
                self.company_id.id,
                STALE_RUN,
            )
        )
        busy = self.env._(
            "Another dunning run of %s is in progress; try again when it is done.",
            self.company_id.name,
        )
        cr.execute(
            SQL(
                "SELECT 1 FROM otc_dunning_run WHERE company_id = %s AND state = 'running'"
                " AND id != %s",
                self.company_id.id,
                self.id,
            )
        )
        if cr.rowcount:
            raise UserError(busy)
        # Two runs starting at the same instant both pass the check above: the
        # partial unique index lets only one of them commit to running.
        try:
            with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                cr.execute(
                    SQL(
                        "UPDATE otc_dunning_run SET state = 'running', error = NULL,"
                        " started_on = (now() at time zone 'UTC') WHERE id = %s",
                        self.id,
                    )
                )
        except psycopg2.errors.UniqueViolation as error:
            raise UserError(busy) from error
        self.invalidate_recordset(["state", "started_on", "error"])

    def _run(self, commit=False, batch_size=BATCH_SIZE):
        self.ensure_one()
        if self.state == "running":
            raise UserError(self.env._("This dunning run is already running."))
        started = time.perf_counter()
        self.env.flush_all()
        self._claim()
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            results, item_count = self._evaluate()
            self._apply(results, commit=commit, batch_size=batch_size)
        except Exception as error:
            if not commit:
                raise
            self.env.cr.rollback()
            self.write({"state": "failed", "error": str(error)})
            self.env.cr.commit()  # pylint: disable=invalid-commit
            raise
        self.write(
            {
                "state": "done",
                "item_count": item_count,
                "duration": time.perf_counter() - started,
            }
        )
        if self.failure_count:
            self.message_post(
                body=self.env._(
                    "%s communication(s) could not be sent: see Failed Sendings.",
                    self.failure_count,
                ),
                subtype_xmlid="mail.mt_note",
            )
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return results

    def _preview(self):
        """Engine results without writing anything (for the run wizard)."""
        self.ensure_one()
        self.env.flush_all()
        return self._evaluate()[0]

    # ------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------

    def _policies_by_partner(self):
        """{commercial partner id: policy} for the company's overdue customers."""
        company = self.company_id
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, (p.otc_dunning_policy_id ->> %s)::int
                  FROM res_partner p
                 WHERE p.otc_dunning_policy_id ? %s
                """,
                str(company.id),
                str(company.id),
            )
        )
        return dict(self.env.cr.fetchall())

    def _evaluate(self):
        company = self.company_id
        cr = self.env.cr
        # Every open receivable item of the company: overdue ones to dun,
        # credits (negative residuals) to net. The date up to which interest
        # was already charged comes from the items' dunning history.
        cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, l.id, l.date_maturity, l.amount_residual,
                       NULL, ih.interest_to
                  FROM account_move_line l
                  JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN LATERAL (
                        SELECT MAX(c.date) AS interest_to
                          FROM otc_dunning_communication_line cl
                          JOIN otc_dunning_communication c ON c.id = cl.communication_id
                         WHERE cl.move_line_id = l.id AND cl.interest > 0 AND c.state = 'sent'
                  ) ih ON TRUE
                 WHERE l.company_id = %(company)s
                   AND l.parent_state = 'posted'
                   AND l.amount_residual <> 0
                   AND l.account_id = ANY(ARRAY(SELECT a.id FROM account_account a
                                                 WHERE a.account_type = 'asset_receivable'))
                   AND (l.date_maturity < %(date)s OR l.amount_residual < 0)
                 ORDER BY p.commercial_partner_id, l.date_maturity, l.id
                """,
                company=company.id,
                date=self.date,
            )
        )
        rows = cr.fetchall()
        excluded = self._excluded_line_ids()
        histories = self._histories()
        overrides = self._policies_by_partner()
        default = company.otc_default_dunning_policy_id
        policies = {}
        groups = {}
        for row in rows:
            policy_id = overrides.get(row[0]) or default.id
            if policy_id:
                groups.setdefault(policy_id, []).append(row)
        for customer, history in histories.items():
            policy_id = overrides.get(customer) or default.id
            if policy_id and history[0]:
                groups.setdefault(policy_id, [])
        results = {}
        for policy_id, policy_rows in groups.items():
            policy = policies.setdefault(
                policy_id, self.env["otc.dunning.policy"].browse(policy_id)
            )
            customers = {row[0] for row in policy_rows} | {
                c for c in histories if (overrides.get(c) or default.id) == policy_id
            }
            engine_results = dunning_engine.evaluate_many(
                policy._engine_policy(),
                policy_rows,
                self.date,
                {c: histories[c] for c in customers if c in histories},
                excluded,
            )
            for customer, result in engine_results.items():
                results[customer] = (policy, result)
        return results, len(rows)

    def _excluded_line_ids(self):
        """Items under an open dispute or a promise to pay still running."""
        company = self.company_id
        promised = self.env["otc.promise"]._valid_promise_move_ids(company, self.date)
        self.env.cr.execute(
            SQL(
                """
                SELECT l.id
                  FROM account_move_line l
                 WHERE l.company_id = %s
                   AND l.amount_residual <> 0
                   AND (l.move_id IN (SELECT move_id FROM otc_dispute
                                       WHERE state = 'open' AND company_id = %s)
                        OR l.move_id = ANY(%s))
                """,
                company.id,
                company.id,
                list(promised),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _histories(self):
        company = str(self.company_id.id)
        self.env.cr.execute(
            SQL(
                """
                SELECT id, COALESCE((otc_dunning_level ->> %s)::int, 0),
                       (otc_dunning_date ->> %s)::date
                  FROM res_partner
                 WHERE otc_dunning_level ? %s
                """,
                company,
                company,
                company,
            )
        )
        return {
            pid: dunning_engine.History(level, day)
            for pid, level, day in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------

    def _apply(self, results, commit=False, batch_size=BATCH_SIZE):
        changed = [
            (customer, policy, result)
            for customer, (policy, result) in results.items()
            if result.moved or result.reset
        ]
        # Communications and the customers' levels of a batch are committed
        # with it (kept if a later batch fails); a batch meeting a concurrent
        # writer is retried in halves down to one customer, who is then left
        # for the next run (its level did not move).
        report = run_batches(
            self.env,
            changed,
            self._apply_batch,
            batch_size=batch_size,
            commit=commit,
            label=f"Dunning run {self.id}",
        )
        if report.failed:
            self.error = self.env._(
                "%(count)s customers were busy (changed by another user at the same"
                " time) and are left for the next run.",
                count=len(report.failed),
            )

    def _apply_batch(self, batch):
        company = self.company_id
        Communication = self.env["otc.dunning.communication"]
        moved = [(c, p, r) for c, p, r in batch if r.moved]
        levels = {}
        for _c, policy, _r in moved:
            if policy.id not in levels:
                levels[policy.id] = {lvl.sequence: lvl.id for lvl in policy.level_ids}
        rows = [
            (
                customer,
                policy.id,
                levels[policy.id].get(result.level),
                result.level,
                result.key,
                result.overdue_total,
                result.credits_netted,
                result.net_due,
                result.fee_amount,
                result.interest_total,
                result.credit_hold,
                dunning_engine.CHANNEL_EMAIL in result.channels,
                dunning_engine.CHANNEL_LETTER in result.channels,
                dunning_engine.CHANNEL_SMS in result.channels,
                dunning_engine.CHANNEL_CALL in result.channels,
            )
            for customer, policy, result in moved
        ]
        # Communications and lines in one statement each: a run writes as many
        # lines as it reads items, and the ORM's per-record create costs more
        # than the whole engine (no chatter note is wanted per record anyway).
        comm_by_customer = {}
        if rows:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO otc_dunning_communication
                        (run_id, company_id, date, state, partner_id, policy_id, level_id,
                         level_sequence, key, overdue_total, credits_netted, net_due,
                         fee_amount, interest_total, credit_hold, channel_email,
                         channel_letter, channel_sms, channel_call,
                         create_uid, create_date, write_uid, write_date)
                    SELECT %s, %s, %s, 'prepared', u.*, %s, now() at time zone 'UTC',
                           %s, now() at time zone 'UTC'
                      FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::varchar[],
                                  %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[],
                                  %s::numeric[], %s::bool[], %s::bool[], %s::bool[],
                                  %s::bool[], %s::bool[]) AS u
                    RETURNING id, partner_id
                    """,
                    self.id,
                    company.id,
                    self.date,
                    self.env.uid,
                    self.env.uid,
                    *[list(column) for column in zip(*rows)],
                )
            )
            comm_by_customer = dict((pid, cid) for cid, pid in self.env.cr.fetchall())
        communications = Communication.browse(
            [comm_by_customer[customer] for customer, _p, _r in moved]
        )
        line_rows = [
            (
                comm_by_customer[customer],
                company.id,
                line.item_id,
                line.due_date,
                line.residual,
                line.days_overdue,
                line.interest_days,
                line.interest,
            )
            for customer, _p, result in moved
            for line in result.lines
        ]
        if line_rows:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO otc_dunning_communication_line
                        (communication_id, company_id, move_line_id, due_date,
                         residual, days_overdue, interest_days, interest)
                    SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[],
                                         %s::numeric[], %s::int[], %s::int[],
                                         %s::numeric[])
                    """,
                    *[list(column) for column in zip(*line_rows)],
                )
            )
        self.env["otc.dunning.communication"].invalidate_model()
        self.invalidate_recordset(["communication_ids"])
        # The customers' dunning state moves with their communication.
        states = [(c, r.level, self.date if r.moved else None) for c, _p, r in batch]
        key = str(company.id)
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET otc_dunning_level = COALESCE(p.otc_dunning_level, '{}'::jsonb)
                                           || jsonb_build_object(%s::text, u.level),
                       otc_dunning_date = CASE WHEN u.day IS NULL
                           THEN COALESCE(p.otc_dunning_date, '{}'::jsonb) - %s::text
                           ELSE COALESCE(p.otc_dunning_date, '{}'::jsonb)
                                || jsonb_build_object(%s::text, u.day) END
                  FROM unnest(%s::int[], %s::int[], %s::date[]) AS u(pid, level, day)
                 WHERE p.id = u.pid
                """,
                key,
                key,
                key,
                *[list(column) for column in zip(*states)],
            )
        )
        self.env["res.partner"].invalidate_model(
            ["otc_dunning_level", "otc_dunning_date"]
        )
        resets = [c for c, _p, r in batch if r.reset]
        if resets:
            held = (
                self.env["res.partner"]
                .browse(resets)
                .with_company(company)
                .filtered(
                    lambda p: p.otc_credit_hold and p.otc_credit_hold_type == "auto"
                )
            )
            held._otc_release_hold(
                self.env._("Credit hold released: nothing overdue any more.")
            )
        to_send = communications.filtered(lambda c: c.policy_id.auto_send)
        if to_send:
            to_send.action_send()
        return communications
