import base64
import io
from datetime import date, timedelta

from openpyxl import load_workbook

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from odoo.addons.otc_collections.models.otc_receivable_snapshot import (
    open_receivables_sql,
    receivable_account_ids,
)
from odoo.addons.otc_order_to_cash.engine import matching
from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestReceivableKpi(OtcCreditCommon):
    """Snapshots and KPIs against figures computed by hand.

    Invoice A: 1,000 on 10 Jan 2025, due 9 Feb, paid on 5 Mar.
    Invoice B:   500 on 15 Feb 2025, due 17 Mar, open.
    Credit note C: 100 on 20 Mar 2025 for the other customer (salesperson's).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.otc_aging_buckets = "0,30,60,90"
        cls.other = cls.env["res.partner"].create(
            {
                "name": "Salesperson's Customer",
                "is_company": True,
                "user_id": cls.salesman.id,
            }
        )
        cls.inv_a = cls._invoice(
            cls.customer, 1000.0, date(2025, 1, 10), date(2025, 2, 9)
        )
        cls.inv_b = cls._invoice(
            cls.customer, 500.0, date(2025, 2, 15), date(2025, 3, 17)
        )
        cls.inv_o = cls._invoice(cls.other, 300.0, date(2025, 2, 1), date(2025, 3, 3))
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.inv_a.ids
        ).create(
            {"amount": 1000.0, "payment_date": date(2025, 3, 5)}
        )._create_payments()

    @classmethod
    def _invoice(cls, partner, amount, invoice_date, due, currency=None):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "currency_id": (currency or cls.company.currency_id).id,
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due,
                "journal_id": cls.company_data["default_journal_sale"].id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Service",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "account_id": cls.company_data[
                                "default_account_revenue"
                            ].id,
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _rows(self, as_of, partner=None):
        rows = self.env["otc.receivable.snapshot"].search(
            [
                ("company_id", "=", self.company.id),
                ("snapshot_date", "=", as_of),
                ("partner_id", "=", (partner or self.customer).id),
            ]
        )
        return {r.bucket_label: r.amount for r in rows}

    def test_backfilled_snapshot_is_what_was_open_then(self):
        Snapshot = self.env["otc.receivable.snapshot"]
        Snapshot._otc_take(self.company, date(2025, 2, 28))
        Snapshot._otc_take(self.company, date(2025, 3, 31))
        # end of February: A 19 days overdue, B not yet due
        self.assertEqual(
            self._rows(date(2025, 2, 28)), {"1-30": 1000.0, "Current": 500.0}
        )
        # end of March: A paid on 5 March, B 14 days overdue
        self.assertEqual(self._rows(date(2025, 3, 31)), {"1-30": 500.0})
        # before anything was invoiced: nothing
        Snapshot._otc_take(self.company, date(2024, 12, 31))
        self.assertEqual(self._rows(date(2024, 12, 31)), {})

    def test_snapshot_today_equals_open_residuals(self):
        today = self.today
        self.env["otc.receivable.snapshot"]._otc_take(self.company, today)
        total = sum(self._rows(today).values())
        residual = sum(
            self.env["account.move"]
            .search([("partner_id", "=", self.customer.id), ("state", "=", "posted")])
            .mapped("amount_residual_signed")
        )
        self.assertAlmostEqual(total, residual)

    def test_open_today_from_the_open_item_summary(self):
        """What is open today, read from the open-item summary (its rows and
        the changes not folded yet), less what is dated after today, plus
        the items without a due date, equals the journal items' rebuild."""
        today = self.today
        self.env["otc.credit.exposure"]._fold_open_item_deltas()
        # dated after today: in the summary, not open at the end of today
        self._invoice(
            self.customer, 70.0, today + timedelta(days=3), today + timedelta(days=33)
        )
        # on the receivable account without a due date: aged by its date
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": today - timedelta(days=40),
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_receivable"
                            ].id,
                            "partner_id": self.other.id,
                            "debit": 45.0,
                            "date_maturity": False,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 45.0,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        self.assertFalse(entry.line_ids[0].date_maturity)
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM otc_open_item_delta")
        self.assertTrue(self.env.cr.fetchone()[0], "changes not folded yet")
        bounds = self.company._otc_aging_bounds()
        accounts = receivable_account_ids(self.env)
        for partners in (SQL("cp.id = %s", self.other.id), None):
            read = {}
            for current in (False, True):
                self.env.cr.execute(
                    open_receivables_sql(
                        self.company.id,
                        today,
                        bounds,
                        accounts,
                        partners,
                        current=current,
                    )
                )
                read[current] = sorted(self.env.cr.fetchall())
            self.assertTrue(read[False])
            self.assertEqual(read[True], read[False], partners)
            everyone = read[True]
        self.assertIn(
            (self.other.id, 2, 45.0, 0.0),
            everyone,
            "45 aged 40 days, in the 30-60 bucket of its customer",
        )
        # the dashboard reads it so
        aging = self.env["otc.receivable.kpi"].otc_dashboard_data(
            date_from=str(today - timedelta(days=30)), date_to=str(today)
        )["aging"]
        self.assertAlmostEqual(
            sum(bucket["amount"] for bucket in aging),
            sum(row[2] for row in everyone),
        )

    def test_snapshot_is_idempotent(self):
        Snapshot = self.env["otc.receivable.snapshot"]
        first = Snapshot._otc_take(self.company, date(2025, 2, 28))
        second = Snapshot._otc_take(self.company, date(2025, 2, 28))
        self.assertEqual(first, second)
        count = Snapshot.search_count(
            [
                ("company_id", "=", self.company.id),
                ("snapshot_date", "=", date(2025, 2, 28)),
            ]
        )
        self.assertEqual(count, first)
        with self.assertRaises(UserError):
            Snapshot._otc_take(self.company, date(2999, 1, 1))

    def test_cron_fills_missing_month_ends_once(self):
        Snapshot = self.env["otc.receivable.snapshot"]
        missing = Snapshot._otc_missing_month_ends(self.company, months=3)
        self.assertEqual(len(missing), 3)
        Snapshot._cron_snapshot()
        self.assertFalse(Snapshot._otc_missing_month_ends(self.company, months=3))
        dates = Snapshot.search([("company_id", "=", self.company.id)]).mapped(
            "snapshot_date"
        )
        self.assertIn(self.today, dates)
        # and the past dates the dashboard's default period reads: its
        # opening and the previous period's, from the first day
        Kpi = self.env["otc.receivable.kpi"]
        past = Kpi._otc_past_dates(Kpi._otc_default_from(self.today), self.today)
        self.assertEqual(past[0], Kpi.create({}).date_from - timedelta(days=1))
        self.assertLess(past[1], past[0])
        self.assertTrue(set(past) <= set(dates))
        self.assertFalse(Snapshot._otc_missing_default_dates(self.company))
        before = Snapshot.search_count([("company_id", "=", self.company.id)])
        Snapshot._cron_snapshot()
        self.assertEqual(
            Snapshot.search_count([("company_id", "=", self.company.id)]), before
        )

    def _summarised_q1(self):
        """The months of the first quarter of 2025 the monthly summary covers."""
        return self.env["otc.receivable.month"]._otc_summarised(
            self.company, date(2025, 1, 1), date(2025, 3, 31)
        )

    @staticmethod
    def _receivable(move):
        return move.line_ids.filtered(lambda ln: ln.account_type == "asset_receivable")

    def _kpis(self, user=None, **vals):
        env = self.env(user=user) if user else self.env
        form = Form(env["otc.receivable.kpi"])
        form.date_from = date(2025, 2, 1)
        form.date_to = date(2025, 3, 31)
        for name, value in vals.items():
            setattr(form, name, value)
        report = form.save()
        report.action_compute()
        return report

    def test_kpis_by_hand(self):
        # only the first customer: the country filter leaves the other out
        self.customer.country_id = self.env.ref("base.be")
        report = self._kpis(country_id=self.env.ref("base.be"))
        # opening (31 Jan): A 1,000; closing (31 Mar): B 500, all overdue;
        # credit sales of the 59 days: B 500
        self.assertAlmostEqual(report.opening_ar, 1000.0)
        self.assertAlmostEqual(report.closing_ar, 500.0)
        self.assertAlmostEqual(report.closing_current_ar, 0.0)
        self.assertAlmostEqual(report.credit_sales, 500.0)
        self.assertAlmostEqual(report.dso, 500 / 500 * 59, places=1)
        self.assertAlmostEqual(report.best_dso, 0.0)
        self.assertAlmostEqual(report.add, 59.0, places=1)
        # (1,000 + 500 - 500) / (1,000 + 500 - 0)
        self.assertAlmostEqual(report.cei, 1000 / 1500 * 100, places=1)
        self.assertAlmostEqual(report.overdue_share, 100.0)
        # A: paid 54 days after its date, 24 days after its due date
        self.assertAlmostEqual(report.days_to_pay, 54.0)
        self.assertAlmostEqual(report.days_late, 24.0)
        # count-back: 500 owed, March sold nothing (31 days), February 500
        self.assertAlmostEqual(report.dso_countback, 31 + 28, places=1)

    def test_salesperson_sees_only_own_customers(self):
        report = self._kpis(user=self.salesman)
        # the other customer's 300 (1 Feb, due 3 Mar, open) only
        self.assertAlmostEqual(report.closing_ar, 300.0)
        self.assertAlmostEqual(report.credit_sales, 300.0)
        Snapshot = self.env["otc.receivable.snapshot"]
        Snapshot._otc_take(self.company, date(2025, 3, 31))
        seen = Snapshot.with_user(self.salesman).search([]).mapped("partner_id")
        self.assertEqual(seen, self.other)
        self.assertEqual(
            Snapshot.with_user(self.clerk).search([]).mapped("partner_id"),
            self.customer | self.other,
        )
        with self.assertRaises(AccessError):
            Snapshot.with_user(self.clerk).search([], limit=1).write({"amount": 1.0})

    def test_period_without_sales_has_no_dso(self):
        form = Form(self.env["otc.receivable.kpi"])
        form.date_from = date(2020, 1, 1)
        form.date_to = date(2020, 1, 31)
        report = form.save()
        report.action_compute()
        self.assertIn("DSO", report.undefined.split("; "))
        with self.assertRaises(UserError):
            self.env["otc.receivable.kpi"].create(
                {"date_from": date(2025, 3, 1), "date_to": date(2025, 2, 1)}
            )

    def test_dashboard_data(self):
        Snapshot = self.env["otc.receivable.snapshot"]
        Snapshot._otc_take(self.company, date(2025, 2, 28))
        data = self.env["otc.receivable.kpi"].otc_dashboard_data(
            date_from="2025-02-01", date_to="2025-03-31"
        )
        self.assertEqual(data["date_to"], "2025-03-31")
        cards = {c["key"]: c for c in data["cards"]}
        # both customers: closing 800 (B 500 + O 300), sales 800 over 59 days
        self.assertAlmostEqual(cards["dso"]["value"], 59.0, places=1)
        aging = {b["label"]: b["amount"] for b in data["aging"]}
        # B 14 days overdue, O 28 days overdue
        self.assertAlmostEqual(aging["1-30"], 800.0)
        self.assertAlmostEqual(aging["Current"], 0.0)
        top = [row["partner_id"] for row in data["top_overdue"]]
        self.assertEqual(top, [self.customer.id, self.other.id])
        # month-end DSO from the snapshot: end of February 1,800 owed,
        # February's sales 800 (B 500 + O 300) over 28 days
        trend = {p["date"]: p["dso"] for p in data["dso_trend"]}
        self.assertEqual(len(trend), 12)
        self.assertAlmostEqual(trend["2025-02-28"], 1800 / 800 * 28, places=1)
        self.assertIsNone(trend["2025-01-31"], "no snapshot taken then")
        self.assertEqual(len(data["forecast"]), 13)
        # a salesperson: its customer only, no company-wide forecast
        own = (
            self.env["otc.receivable.kpi"]
            .with_user(self.salesman)
            .otc_dashboard_data(date_from="2025-02-01", date_to="2025-03-31")
        )
        self.assertEqual(
            [row["partner_id"] for row in own["top_overdue"]], [self.other.id]
        )
        self.assertEqual(own["forecast"], [])

    def test_fx_exposure(self):
        today = fields.Date.to_string(self.today)
        eur = self.setup_other_currency(
            "EUR", rates=[("2025-01-01", 2.0), (today, 4.0)]
        )
        self._invoice(self.customer, 100.0, date(2025, 3, 1), date(2025, 3, 31), eur)
        report = self.env["otc.receivable.kpi"].create({})
        (fx,) = report._otc_fx_exposure()
        # 100 EUR booked at 2 per unit (50), worth 25 at today's 4 per unit
        self.assertEqual(fx.currency, "EUR")
        self.assertAlmostEqual(fx.amount_currency, 100.0)
        self.assertAlmostEqual(fx.booked, 50.0)
        self.assertAlmostEqual(fx.at_today, 25.0)
        self.assertAlmostEqual(fx.unrealised, -25.0)

    def test_collection_ratios(self):
        invoice = self._invoice(self.customer, 80.0, self.today, self.today)
        self.env["otc.dispute"].create(
            {
                "move_id": invoice.id,
                "disputed_amount": 10.0,
                "reason_id": self.env["otc.dispute.reason"].search([], limit=1).id,
            }
        )
        Promise = self.env["otc.promise"]
        for state in ("kept", "broken", "kept"):
            promise = Promise.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "move_ids": [(6, 0, invoice.ids)],
                    "promise_date": self.today,
                    "amount": 10.0,
                }
            )
            promise.sudo().state = state
        form = Form(self.env["otc.receivable.kpi"])
        form.date_from = self.today - timedelta(days=30)
        form.date_to = self.today
        report = form.save()
        report.action_compute()
        # one invoice issued in the period, disputed
        self.assertAlmostEqual(report.dispute_rate, 100.0)
        self.assertAlmostEqual(report.promises_kept, 200 / 3, places=1)
        self.assertIn("Days to Resolve a Dispute", report.undefined.split("; "))

    def test_xlsx_export(self):
        self.customer.name = '=HYPERLINK("http://evil")'
        form = Form(self.env["otc.receivable.kpi"])
        form.date_from = date(2025, 2, 1)
        form.date_to = date(2025, 3, 31)
        report = form.save()
        action = report.action_export_xlsx()
        self.assertIn("download=true", action["url"])
        book = load_workbook(io.BytesIO(base64.b64decode(report.file)))
        kpis = {
            row[0]: row[1]
            for row in book["KPIs"].iter_rows(min_row=5, values_only=True)
        }
        self.assertAlmostEqual(kpis["DSO"], 59.0, places=1)
        self.assertAlmostEqual(kpis["Closing Receivables"], 800.0)
        aging = dict(book["Aging"].iter_rows(min_row=2, values_only=True))
        self.assertAlmostEqual(aging["1-30"], 800.0)

    def test_returns_figures(self):
        invoice = self._invoice(self.customer, 400.0, self.today, self.today)
        order = self.make_order(self.customer, 400.0)
        ret = self.env["otc.return"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "sale_order_id": order.id,
            }
        )
        refund = invoice._reverse_moves([{"invoice_date": self.today}])
        refund.invoice_line_ids.price_unit = 100.0
        refund.otc_return_id = ret
        refund.action_post()
        form = Form(self.env["otc.receivable.kpi"])
        form.date_from = self.today - timedelta(days=30)
        form.date_to = self.today
        report = form.save()
        report.action_compute()
        self.assertAlmostEqual(report.returns_credited, 100.0)
        # credit sales: the 400 invoice less the 100 credit note
        self.assertAlmostEqual(report.returns_rate, 100 / 300 * 100, places=1)

    def test_filters_collector_customer_and_tag(self):
        tag = self.env["res.partner.category"].create({"name": "Key Account"})
        self.other.category_id = tag
        self.other.with_company(self.company).otc_collector_id = self.collector
        expected_other = 300.0
        for vals in (
            {"collector_id": self.collector},
            {"partner_id": self.other},
            {"category_id": tag},
        ):
            report = self._kpis(**vals)
            self.assertAlmostEqual(report.closing_ar, expected_other, msg=str(vals))
        report = self._kpis(partner_id=self.customer)
        self.assertAlmostEqual(report.closing_ar, 500.0)

    def test_collector_performance(self):
        self.customer.with_company(self.company).otc_collector_id = self.collector
        self.customer.with_user(self.collector)._otc_log_note("Called", "comment")
        form = Form(self.env["otc.receivable.kpi"])
        form.date_from = date(2025, 3, 1)
        form.date_to = self.today
        report = form.save()
        (row,) = [
            r for r in report._otc_collectors() if r["user_id"] == self.collector.id
        ]
        # invoice A's 1,000 paid on 5 March 2025, one contact logged today
        self.assertAlmostEqual(row["collected"], 1000.0)
        self.assertEqual(row["contacts"], 1)

    def _dated_dispute(
        self,
        invoice,
        reason,
        amount,
        opened_days_ago,
        closed_days_ago=None,
        state="open",
    ):
        dispute = self.env["otc.dispute"].create(
            {"move_id": invoice.id, "disputed_amount": amount, "reason_id": reason.id}
        )
        now = fields.Datetime.now()
        values = {"create_date": now - timedelta(days=opened_days_ago)}
        if closed_days_ago is not None:
            values |= {
                "state": state,
                "resolved_on": now - timedelta(days=closed_days_ago),
            }
        dispute.flush_recordset()
        # the dates a dispute was opened and closed on, set as if it had been weeks ago
        self.env.cr.execute(
            "UPDATE otc_dispute SET create_date = %s, state = %s, resolved_on = %s WHERE id = %s",
            [
                values["create_date"],
                values.get("state", "open"),
                values.get("resolved_on"),
                dispute.id,
            ],
        )
        dispute.invalidate_recordset()
        return dispute

    def test_disputes_by_reason(self):
        Reason = self.env["otc.dispute.reason"]
        price = Reason.create({"name": "Bench Price"})
        damage = Reason.create({"name": "Bench Damage"})
        invoice = self._invoice(self.customer, 80.0, self.today, self.today)
        # price: 10 resolved after 2 days, 5 still open; damage: 7 rejected after 4 days
        self._dated_dispute(invoice, price, 10.0, 3, 1, "resolved")
        self._dated_dispute(invoice, price, 5.0, 2)
        self._dated_dispute(invoice, damage, 7.0, 6, 2, "rejected")
        # opened and closed before the period: not counted
        self._dated_dispute(invoice, damage, 9.0, 90, 80, "resolved")
        report = self.env["otc.receivable.kpi"].create(
            {"date_from": self.today - timedelta(days=30), "date_to": self.today}
        )
        rows = {r["name"]: r for r in report._otc_disputes_by_reason()}
        self.assertEqual(list(rows), ["Bench Price", "Bench Damage"], "by amount")
        self.assertEqual(rows["Bench Price"]["opened"], 2)
        self.assertAlmostEqual(rows["Bench Price"]["amount"], 15.0)
        self.assertEqual(rows["Bench Price"]["closed"], 1)
        self.assertAlmostEqual(rows["Bench Price"]["days_to_resolve"], 2.0, places=3)
        self.assertEqual(rows["Bench Damage"]["opened"], 1)
        self.assertAlmostEqual(rows["Bench Damage"]["amount"], 7.0)
        self.assertAlmostEqual(rows["Bench Damage"]["days_to_resolve"], 4.0, places=3)
        # another customer's filter leaves none
        report.partner_id = self.other
        self.assertEqual(report._otc_disputes_by_reason(), [])

    def _pay(self, invoice, amount, when):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create(
            {
                "amount": amount,
                "payment_date": when,
                "payment_difference_handling": "open",
            }
        )._create_payments()

    def _sent_reminder(self, invoice, level, when):
        policy = self.env["otc.dunning.policy"].search(
            [("company_id", "in", [self.company.id, False])], limit=1
        ) or self.env["otc.dunning.policy"].create(
            {"name": "KPI Reminders", "company_id": self.company.id}
        )
        line = invoice.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        return (
            self.env["otc.dunning.communication"]
            .sudo()
            .create(
                {
                    "partner_id": invoice.commercial_partner_id.id,
                    "company_id": self.company.id,
                    "policy_id": policy.id,
                    "level_sequence": level,
                    "date": when,
                    "key": f"kpi-{invoice.id}-{level}",
                    "state": "sent",
                    "line_ids": [
                        Command.create(
                            {
                                "move_line_id": line.id,
                                "company_id": self.company.id,
                                "residual": line.amount_residual,
                            }
                        )
                    ],
                }
            )
        )

    def test_dunning_effectiveness_per_level(self):
        def day(n):
            return self.today - timedelta(days=n)

        inv_x = self._invoice(self.customer, 1000.0, day(60), day(40))
        inv_y = self._invoice(self.customer, 500.0, day(60), day(40))
        inv_z = self._invoice(self.customer, 300.0, day(60), day(40))
        # level 1 on X 20 days ago, 400 paid 10 days later (within 14 days)
        self._sent_reminder(inv_x, 1, day(20))
        self._pay(inv_x, 400.0, day(10))
        # level 2 on Y 20 days ago, paid 17 days later (too late)
        self._sent_reminder(inv_y, 2, day(20))
        self._pay(inv_y, 500.0, day(3))
        # level 2 on Z 25 days ago, paid 5 days later
        self._sent_reminder(inv_z, 2, day(25))
        self._pay(inv_z, 300.0, day(20))
        report = self.env["otc.receivable.kpi"].create(
            {"date_from": day(30), "date_to": self.today}
        )
        levels = {
            r["level"]: r
            for r in report._otc_dunning_by_level(report.date_from, report.date_to)
        }
        self.assertEqual(sorted(levels), [1, 2])
        self.assertEqual(levels[1]["reminders"], 1)
        self.assertAlmostEqual(levels[1]["reminded"], 1000.0)
        self.assertAlmostEqual(levels[1]["paid"], 400.0)
        self.assertAlmostEqual(levels[1]["share"], 40.0)
        self.assertEqual(levels[2]["reminders"], 2)
        self.assertAlmostEqual(levels[2]["reminded"], 800.0)
        self.assertAlmostEqual(levels[2]["paid"], 300.0)
        self.assertAlmostEqual(levels[2]["share"], 37.5)
        report.action_compute()
        # all levels: 700 of 1,800
        self.assertAlmostEqual(report.dunning_effect, 700 / 1800 * 100, places=1)
        data = report.otc_dashboard_data(
            date_from=fields.Date.to_string(day(30)),
            date_to=fields.Date.to_string(self.today),
        )
        self.assertEqual([r["level"] for r in data["dunning_levels"]], [1, 2])

    def test_dashboard_filters_and_sparklines(self):
        Snapshot = self.env["otc.receivable.snapshot"]
        Snapshot._otc_take(self.company, date(2025, 1, 31))
        Snapshot._otc_take(self.company, date(2025, 2, 28))
        Kpi = self.env["otc.receivable.kpi"]
        data = Kpi.otc_dashboard_data(date_from="2025-02-01", date_to="2025-03-31")
        cards = {c["key"]: c for c in data["cards"]}
        # February from the snapshots: opening (31 Jan) A 1,000; closing (28 Feb)
        # A 1,000 + B 500 + O 300, of which B and O not yet due (800); sales 800
        feb = 10  # the 12 months end with March 2025: February is the 11th
        self.assertEqual(len(cards["dso"]["sparkline"]), 12)
        self.assertAlmostEqual(cards["dso"]["sparkline"][feb], 1800 / 800 * 28)
        self.assertAlmostEqual(cards["best_dso"]["sparkline"][feb], 800 / 800 * 28)
        self.assertAlmostEqual(cards["add"]["sparkline"][feb], (1800 - 800) / 800 * 28)
        self.assertAlmostEqual(cards["cei"]["sparkline"][feb], 0.0)
        self.assertAlmostEqual(
            cards["overdue_share"]["sparkline"][feb], 1000 / 1800 * 100
        )
        # January has no opening snapshot (31 Dec): no CEI; March none at all
        self.assertIsNone(cards["cei"]["sparkline"][feb - 1])
        self.assertIsNotNone(cards["dso"]["sparkline"][feb - 1])
        self.assertIsNone(cards["dso"]["sparkline"][feb + 1])
        self.assertEqual(cards["days_late"]["sparkline"], [])
        self.assertAlmostEqual(
            cards["dso"]["change"], cards["dso"]["value"] - cards["dso"]["previous"]
        )
        # a filter narrows the figures and the drill-downs' domain
        mine = Kpi.otc_dashboard_data(
            date_from="2025-02-01",
            date_to="2025-03-31",
            filters={"partner_id": self.other.id},
        )
        self.assertEqual(
            [r["partner_id"] for r in mine["top_overdue"]], [self.other.id]
        )
        self.assertAlmostEqual(mine["closing_ar"], 300.0)
        self.assertEqual(
            mine["partner_domain"],
            [("partner_id.commercial_partner_id", "=", self.other.id)],
        )
        self.assertEqual(
            self.env["account.move.line"].search(
                [
                    ("parent_state", "=", "posted"),
                    ("account_type", "=", "asset_receivable"),
                    ("reconciled", "=", False),
                    *mine["partner_domain"],
                ]
            ),
            self._receivable(self.inv_o),
        )
        self.assertEqual(mine["forecast"], [], "the forecast is not filtered")
        tag = self.env["res.partner.category"].create({"name": "Dashboard Tag"})
        self.other.category_id = tag
        self.other.with_company(self.company).otc_collector_id = self.collector
        for name, value in (
            ("category_id", tag.id),
            ("collector_id", self.collector.id),
        ):
            filtered = Kpi.otc_dashboard_data(
                date_from="2025-02-01", date_to="2025-03-31", filters={name: value}
            )
            self.assertAlmostEqual(filtered["closing_ar"], 300.0, msg=name)
            prefix = "partner_id.commercial_partner_id."
            records = self.env["res.partner"].search(
                [
                    (path.removeprefix(prefix), op, v)
                    for path, op, v in filtered["partner_domain"]
                ]
            )
            self.assertIn(self.other, records, name)
            self.assertNotIn(self.customer, records, name)
        with self.assertRaises(UserError):
            Kpi.otc_dashboard_data(filters={"colour": 1})

    def test_past_dates_read_the_snapshots(self):
        plain = self._kpis()
        Snapshot = self.env["otc.receivable.snapshot"]
        Snapshot._otc_take(self.company, date(2025, 1, 31))
        Snapshot._otc_take(self.company, date(2025, 3, 31))
        stored = self._kpis()
        for name in ("opening_ar", "closing_ar", "closing_current_ar", "dso", "cei"):
            self.assertAlmostEqual(stored[name], plain[name], msg=name)
        # the stored rows are what a past date reads
        self.env.cr.execute(
            "UPDATE otc_receivable_snapshot SET amount = amount * 2"
            " WHERE snapshot_date = '2025-03-31'"
        )
        self.env["otc.receivable.snapshot"].invalidate_model()
        self.assertAlmostEqual(self._kpis().closing_ar, 2 * plain.closing_ar)

    # ------------------------------------------------------ monthly summary
    def _all_figures(self):
        """Every figure the monthly summary feeds, read now: the KPI screen of
        a whole-month period and of one cutting months, and the dashboard,
        unfiltered and under filters (its forecast aside)."""
        figures = {}
        names = (
            "credit_sales",
            "dso",
            "dso_countback",
            "best_dso",
            "add",
            "cei",
            "days_to_pay",
            "days_late",
            "previous_dso",
            "previous_cei",
            "returns_rate",
            "undefined",
        )
        for period in (
            (date(2025, 2, 1), date(2025, 3, 31)),
            (date(2025, 2, 10), date(2025, 3, 20)),
        ):
            for vals in ({}, {"partner_id": self.other}):
                report = self._kpis(**vals)
                report.write({"date_from": period[0], "date_to": period[1]})
                report.action_compute()
                figures[(period, str(vals))] = {n: report[n] for n in names}
        Kpi = self.env["otc.receivable.kpi"]
        for filters in (
            {},
            {"partner_id": self.other.id},
            {"collector_id": self.collector.id},
        ):
            data = Kpi.otc_dashboard_data(
                date_from="2025-02-01", date_to="2025-03-31", filters=filters
            )
            figures[("dashboard", str(filters))] = {
                "cards": [
                    (c["key"], c["value"], c["previous"], c["sparkline"])
                    for c in data["cards"]
                ],
                "worsening": data["worsening"],
                "collectors": [
                    (c["user_id"], c["collected"]) for c in data["collectors"]
                ],
                "closing_ar": data["closing_ar"],
            }
        return figures

    def _assert_same(self, got, expected, path=""):
        if isinstance(expected, dict):
            self.assertEqual(set(got), set(expected), path)
            for key in expected:
                self._assert_same(got[key], expected[key], f"{path}/{key}")
        elif isinstance(expected, (list, tuple)):
            self.assertEqual(len(got), len(expected), path)
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                self._assert_same(g, e, f"{path}/{i}")
        elif isinstance(expected, float) and isinstance(got, float):
            self.assertAlmostEqual(got, expected, places=6, msg=path)
        else:
            self.assertEqual(got, expected, path)

    def _ledger_figures(self):
        """The figures with no month summarised: all from the ledger."""
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT ledger_figures")
        self.env.cr.execute("DELETE FROM otc_receivable_month")
        figures = self._all_figures()
        self.env.flush_all()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT ledger_figures")
        self.env.invalidate_all()
        return figures

    def test_monthly_summary_gives_the_ledger_figures(self):
        Month = self.env["otc.receivable.month"]
        Snapshot = self.env["otc.receivable.snapshot"]
        for end in (date(2025, 1, 31), date(2025, 2, 28)):
            Snapshot._otc_take(self.company, end)
        self.customer.with_company(self.company).otc_collector_id = self.collector
        self.other.with_company(self.company).otc_collector_id = self.collector
        ledger = self._ledger_figures()
        self.assertTrue(Month._otc_build_missing(self.company))
        self.assertFalse(Month._otc_missing(self.company), "every closed month done")
        rows = Month.search([("company_id", "=", self.company.id)])
        # company totals of January: A 1,000 sold; of March: A's 1,000 paid
        # 54 days after its date, 24 days late; the credit note's -100
        jan = rows.filtered(lambda r: r.month == date(2025, 1, 1) and not r.partner_id)
        self.assertAlmostEqual(jan.credit_sales, 1000.0)
        mar = rows.filtered(lambda r: r.month == date(2025, 3, 1) and not r.partner_id)
        self.assertAlmostEqual(mar.paid_amount, 1000.0)
        self.assertAlmostEqual(mar.paid_days_to_pay, 54000.0)
        self.assertAlmostEqual(mar.paid_days_late, 24000.0)
        self.assertEqual(mar.paid_count, 1)
        # the open month as far as yesterday (nothing to summarise on a 1st)
        today = fields.Date.context_today(Month)
        open_month = rows.filtered(
            lambda r: r.month == today.replace(day=1) and not r.partner_id
        )
        self.assertEqual(
            open_month.last_day or None,
            today - timedelta(days=1) if today.day > 1 else None,
        )
        self._assert_same(self._all_figures(), ledger)
        # the month-end totals the company rows keep follow a snapshot taken
        # after the summary: March's, with its trend point
        self.assertFalse(mar.closing_ar, "no snapshot at the end of March yet")
        Snapshot._otc_take(self.company, date(2025, 3, 31))
        Month.invalidate_model()
        self.assertAlmostEqual(mar.closing_ar, 500.0 + 300.0)
        ledger = self._ledger_figures()
        # the share overdue's last point: March, now with its snapshot (B and
        # O overdue, 800 of 800)
        overdue = ledger[("dashboard", "{}")]["cards"][5]
        self.assertEqual(overdue[0], "overdue_share")
        self.assertAlmostEqual(overdue[3][-1], 100.0)
        self._assert_same(self._all_figures(), ledger)
        # rebuilding replaces, never doubles
        count = len(rows)
        Month._otc_build(self.company, [date(2025, 2, 1), date(2025, 3, 1)])
        self.assertEqual(
            Month.search_count([("company_id", "=", self.company.id)]), count
        )
        # and the summary is what the KPIs read
        self.env.cr.execute(
            "UPDATE otc_receivable_month SET credit_sales = credit_sales * 2"
            " WHERE month = '2025-02-01'"
        )
        self.assertAlmostEqual(self._kpis().credit_sales, 1600.0)

    def test_monthly_summary_follows_entries_dated_in_its_months(self):
        """A summarised month changed the same day (an invoice dated in it, a
        payment taking effect in it) is read from the ledger until summarised
        again: the figures never lag."""
        Month = self.env["otc.receivable.month"]
        Month._otc_build_missing(self.company)
        summarised = self._summarised_q1()
        self.assertEqual(len(summarised), 3)
        late_invoice = self._invoice(
            self.other, 250.0, date(2025, 2, 20), date(2025, 3, 22)
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.inv_b.ids
        ).create(
            {"amount": 200.0, "payment_date": date(2025, 3, 10)}
        )._create_payments()
        # the invoice and the payment stay in February's and March's
        # summaries, appended as changes
        self.assertEqual(
            len(self._summarised_q1()),
            3,
        )
        deltas = Month.search(
            [("company_id", "=", self.company.id), ("delta", "=", True)]
        )
        self.assertEqual(
            sorted(
                (
                    str(r.month),
                    r.partner_id.id,
                    r.credit_sales,
                    r.paid_amount,
                    r.paid_count,
                )
                for r in deltas
            ),
            sorted(
                [
                    ("2025-02-01", False, 250.0, 0.0, 0),
                    ("2025-02-01", self.other.id, 250.0, 0.0, 0),
                    ("2025-03-01", False, 0.0, 200.0, 1),
                    ("2025-03-01", self.customer.id, 0.0, 200.0, 1),
                ]
            ),
        )
        ledger = self._ledger_figures()
        self._assert_same(self._all_figures(), ledger)
        Month._otc_build_missing(self.company)
        self._assert_same(self._all_figures(), ledger)
        # so does a due date moved after payment (A's, paid in March)
        Month._otc_build_missing(self.company)
        self._receivable(self.inv_a).date_maturity = date(2025, 2, 20)
        self.assertNotIn(date(2025, 3, 1), self._summarised_q1())
        self._assert_same(self._all_figures(), self._ledger_figures())
        # and so does cash application, which writes its partials set-based
        # (an invoice nothing paid before): a bank receipt of March paying O
        Month._otc_build_missing(self.company)
        self.assertIn(date(2025, 3, 1), self._summarised_q1())
        receipt = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.company_data["default_journal_bank"].id,
                "date": date(2025, 3, 20),
                "amount": 300.0,
                "payment_ref": self.inv_o.name,
            }
        )
        item = self._receivable(self.inv_o)
        proposal = matching.Proposal(
            customer_id=self.inv_o.partner_id.id,
            allocations=((item.id, 300.0),),
            kind="exact",
            score=1.0,
            strength=1.0,
            reasons=(),
        )
        Line = self.env["account.bank.statement.line"]
        self.assertEqual(
            Line._otc_apply([(receipt, proposal)], origin="auto", strict=True),
            receipt,
        )
        self.assertEqual(self.inv_o.payment_state, "paid")
        self.assertIn(date(2025, 3, 1), self._summarised_q1())
        self.assertTrue(
            Month.search_count(
                [
                    ("month", "=", date(2025, 3, 1)),
                    ("delta", "=", True),
                    ("partner_id", "=", self.other.id),
                ]
            )
        )
        self._assert_same(self._all_figures(), self._ledger_figures())
        # undoing a reconciliation appends its opposite
        self._receivable(self.inv_o).remove_move_reconcile()
        self.assertIn(date(2025, 3, 1), self._summarised_q1())
        self._assert_same(self._all_figures(), self._ledger_figures())
        # the next summary replaces the changes
        Month._otc_build_missing(self.company)
        self.assertFalse(
            Month.search_count(
                [("company_id", "=", self.company.id), ("delta", "=", True)]
            )
        )
        self._assert_same(self._all_figures(), self._ledger_figures())
        # an invoice reset to draft takes its sales off again
        late_invoice.button_draft()
        self.assertIn(date(2025, 2, 1), self._summarised_q1())
        self._assert_same(self._all_figures(), self._ledger_figures())

    def test_open_month_summarised_as_far_as_yesterday(self):
        """The daily job summarises the open month to yesterday; what is
        dated after its last day leaves it summarised (read from the ledger
        on top), what is dated before takes it out; periods cutting a month
        read its summary less the days outside them."""
        Month = self.env["otc.receivable.month"]
        ledger = self._ledger_figures()
        # "today" is 21 March 2025: March is the open month
        Month._otc_build_missing(self.company, today=date(2025, 3, 21))
        self.assertEqual(
            Month._otc_coverage(self.company, date(2025, 1, 1), date(2025, 3, 31)),
            {
                date(2025, 1, 1): date(2025, 1, 31),
                date(2025, 2, 1): date(2025, 2, 28),
                date(2025, 3, 1): date(2025, 3, 20),
            },
        )
        self.assertFalse(Month._otc_missing(self.company, today=date(2025, 3, 21)))
        march = Month.search(
            [
                ("company_id", "=", self.company.id),
                ("month", "=", date(2025, 3, 1)),
                ("partner_id", "=", False),
            ]
        )
        self.assertAlmostEqual(march.paid_amount, 1000.0, msg="A, paid on 5 March")
        self._assert_same(self._all_figures(), ledger)
        # a payment of B on "today" 21 March: after the summary's last day
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.inv_b.ids
        ).create(
            {"amount": 200.0, "payment_date": date(2025, 3, 21)}
        )._create_payments()
        self.assertIn(
            date(2025, 3, 1),
            Month._otc_summarised(self.company, date(2025, 3, 1), date(2025, 3, 31)),
        )
        ledger = self._ledger_figures()
        self._assert_same(self._all_figures(), ledger)
        self.assertNotEqual(
            ledger[((date(2025, 2, 1), date(2025, 3, 31)), "{}")]["days_to_pay"],
            ledger[((date(2025, 2, 10), date(2025, 3, 20)), "{}")]["days_to_pay"],
            "the payment of the 21st counts in the period to the 31st only",
        )
        # March closed and summarised whole: the period to the 20th reads its
        # summary less 21-31 March (B's payment), the one to the 31st all of it
        Month._otc_build_missing(self.company, today=date(2025, 4, 2))
        self.assertEqual(
            Month._otc_coverage(self.company, date(2025, 3, 1), date(2025, 3, 31)),
            {date(2025, 3, 1): date(2025, 3, 31)},
        )
        self._assert_same(self._all_figures(), ledger)
        # an invoice dated 19 March posted later: appended to March's summary
        self._invoice(self.other, 250.0, date(2025, 3, 19), date(2025, 4, 18))
        self.assertEqual(
            Month._otc_coverage(self.company, date(2025, 3, 1), date(2025, 3, 31)),
            {date(2025, 3, 1): date(2025, 3, 31)},
        )
        ledger = self._ledger_figures()
        self._assert_same(self._all_figures(), ledger)
        Month._otc_build_missing(self.company, today=date(2025, 4, 2))
        self._assert_same(self._all_figures(), ledger)
