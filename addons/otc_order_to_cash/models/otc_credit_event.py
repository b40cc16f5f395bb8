from odoo import api, fields, models

from ..engine import credit as credit_engine
from ..tools.batch import run_batches

BATCH_SIZE = 200


class OtcCreditEvent(models.Model):
    """A credit alert raised once: the daily check's memory.

    ``near`` and ``over`` events stay while the customer stays at that level
    and are removed when it goes back under, so that a new crossing alerts
    again; ``review`` events are keyed by the review date they were raised for.
    """

    _name = "otc.credit.event"
    _description = "Credit Alert"
    _order = "date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    event_type = fields.Selection(
        [
            ("near", "Near Credit Limit"),
            ("over", "Over Credit Limit"),
            ("review", "Credit Review Due"),
        ],
        required=True,
    )
    event_key = fields.Char(default="", required=True)
    date = fields.Date(default=fields.Date.context_today, required=True)
    exposure = fields.Float()
    credit_limit = fields.Float()
    activity_id = fields.Many2one("mail.activity", ondelete="set null")

    _sql_constraints = [
        (
            "event_unique",
            "unique(partner_id, company_id, event_type, event_key)",
            "This credit alert was raised already.",
        )
    ]

    @api.model
    def _cron_credit_alerts(self, batch_size=BATCH_SIZE):
        """Daily: alert Credit Managers and apply automatic holds.

        Reads the Credit Control view for every company at once, then works in
        batches; in a scheduled run each batch is committed and reported, so
        an interrupted run resumes where it stopped (already raised alerts are
        remembered in this table and never raised twice).
        """
        today = fields.Date.context_today(self)
        Control = self.env["otc.credit.control"].sudo()
        # A view over every table: pending writes first, and no stale cache.
        self.env.flush_all()
        Control.invalidate_model()
        rows = Control.search_fetch(
            [],
            [
                "partner_id",
                "company_id",
                "credit_limit",
                "exposure",
                "review_date",
                "oldest_overdue_days",
                "max_overdue_days",
                "on_hold",
            ],
            order="id",
        )
        self.env["otc.credit.exposure"]._fold_open_item_deltas()
        # Committed per batch in a scheduled run, so that a run cut short
        # keeps what it did and the next run resumes (raised alerts are never
        # redone); a batch meeting a concurrent writer is retried in halves.
        run_batches(
            self.env,
            rows.ids,
            lambda ids: self._process_alert_batch(Control.browse(ids), today),
            batch_size=batch_size,
            label="Credit alerts",
        )

    @api.model
    def _process_alert_batch(self, rows, today):
        Event = self.sudo()
        # Read here, not once per run: a batch may run again after a rollback.
        existing = {
            (e.partner_id.id, e.company_id.id, e.event_type, e.event_key): e
            for e in Event.search([("partner_id", "in", rows.partner_id.ids)])
        }
        for row in rows:
            partner, company = row.partner_id, row.company_id
            key = (partner.id, company.id)
            level = credit_engine.alert_level(
                row.credit_limit,
                row.exposure,
                company.otc_credit_alert_threshold,
                company.currency_id.rounding,
            )
            levels = [credit_engine.LEVEL_NEAR, credit_engine.LEVEL_OVER]
            previous = credit_engine.LEVEL_NONE
            for lvl in levels:
                if (*key, lvl, "") in existing:
                    previous = lvl
            if credit_engine.level_rises(previous, level):
                # A level implies the ones below: coming back from "over" to
                # "near" must not alert "near" as if it were new.
                for lvl in levels:
                    if lvl == level:
                        existing[(*key, lvl, "")] = Event._raise(row, lvl, "")
                        break
                    if (*key, lvl, "") not in existing:
                        existing[(*key, lvl, "")] = Event.create(
                            Event._event_vals(row, lvl, "")
                        )
            # Back under a level: forget it, so crossing it again alerts again.
            for lvl in levels:
                if (
                    credit_engine.level_rises(level, lvl)
                    and (*key, lvl, "") in existing
                ):
                    existing.pop((*key, lvl, "")).unlink()
            if row.review_date and row.review_date <= today:
                rkey = (*key, "review", row.review_date.isoformat())
                if rkey not in existing:
                    existing[rkey] = Event._raise(row, "review", rkey[3])
            self._apply_automatic_hold(row)

    @api.model
    def _raise(self, row, event_type, event_key):
        partner, company = row.partner_id, row.company_id
        manager = company._otc_get_credit_manager()
        amount = company.currency_id.format
        if event_type == "review":
            summary = self.env._("Credit review due for %s", partner.display_name)
            note = self.env._("The credit review date (%s) has come.", row.review_date)
        elif event_type == "over":
            summary = self.env._("%s is over its credit limit", partner.display_name)
            note = self.env._(
                "Exposure %(exposure)s exceeds the credit limit of %(limit)s.",
                exposure=amount(row.exposure),
                limit=amount(row.credit_limit),
            )
        else:
            summary = self.env._("%s is near its credit limit", partner.display_name)
            note = self.env._(
                "Exposure %(exposure)s reaches %(share)s%% of the credit limit of %(limit)s.",
                exposure=amount(row.exposure),
                share=round(row.exposure * 100.0 / row.credit_limit)
                if row.credit_limit
                else 0,
                limit=amount(row.credit_limit),
            )
        activity = (
            partner.sudo()
            .with_company(company)
            .activity_schedule(
                "otc_order_to_cash.mail_activity_type_otc_credit_alert",
                user_id=manager.id or self.env.ref("base.user_admin").id,
                summary=summary,
                note=note,
            )
        )
        return self.sudo().create(
            dict(self._event_vals(row, event_type, event_key), activity_id=activity.id)
        )

    @api.model
    def _event_vals(self, row, event_type, event_key):
        return {
            "partner_id": row.partner_id.id,
            "company_id": row.company_id.id,
            "event_type": event_type,
            "event_key": event_key,
            "exposure": row.exposure,
            "credit_limit": row.credit_limit,
        }

    @api.model
    def _apply_automatic_hold(self, row):
        company = row.company_id
        if not company.otc_auto_hold_overdue:
            return
        partner = row.partner_id.with_company(company).sudo()
        too_late = (
            company.otc_check_overdue and row.oldest_overdue_days > row.max_overdue_days
        )
        if too_late and not partner.otc_credit_hold:
            partner._otc_set_hold(
                self.env._(
                    "Automatic: an item is overdue for %(days)s days (%(allowed)s allowed).",
                    days=row.oldest_overdue_days,
                    allowed=row.max_overdue_days,
                ),
                hold_type="auto",
            )
        elif (
            not too_late
            and partner.otc_credit_hold
            and partner.otc_credit_hold_type == "auto"
        ):
            partner._otc_release_hold(
                self.env._(
                    "Automatic credit hold released: no item overdue beyond the allowed days."
                )
            )
