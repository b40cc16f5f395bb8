from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestDunning(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.be")
        cls.company.email = "ar@company.example.com"
        cls.policy = cls.env["otc.dunning.policy"].create(
            {
                "name": "Test policy",
                "company_id": cls.company.id,
                "level_ids": [
                    (
                        0,
                        0,
                        {"sequence": 1, "name": "First", "days": 10, "min_amount": 50},
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 2,
                            "name": "Second",
                            "days": 30,
                            "min_amount": 50,
                            "channel_sms": True,
                            "fee_amount": 15,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 3,
                            "name": "Final",
                            "days": 60,
                            "channel_letter": True,
                            "channel_call": True,
                            "interest_rate": 10,
                            "credit_hold": True,
                        },
                    ),
                ],
            }
        )
        cls.company.otc_default_dunning_policy_id = cls.policy
        cls.company.otc_default_collector_id = cls.collector
        cls.customer.write(
            {"mobile": "0470 12 34 56", "country_id": cls.env.ref("base.be").id}
        )

    def run_dunning(self, days=0, **kw):
        run = self.env["otc.dunning.run"].create(
            {"company_id": self.company.id, "date": self.today + timedelta(days=days)}
        )
        run._run(**kw)
        return run

    def comms(self, partner=None):
        return self.env["otc.dunning.communication"].search(
            [("partner_id", "=", (partner or self.customer).id)], order="id"
        )

    def test_levels_progress_one_at_a_time_and_idempotent(self):
        invoice = self.make_invoice(self.customer, 100, days_ago=105)  # 75 days overdue
        self.run_dunning()
        self.assertEqual(self.comms().mapped("level_sequence"), [1], "no level skipped")
        line = self.comms().line_ids
        self.assertEqual(line.move_id, invoice)
        self.assertEqual(line.days_overdue, 75)
        self.run_dunning()
        self.assertEqual(len(self.comms()), 1, "a second run the same day adds nothing")
        self.run_dunning(days=5)
        self.assertEqual(len(self.comms()), 1, "too soon after the first level")
        self.run_dunning(days=20)
        self.run_dunning(days=50)
        self.assertEqual(self.comms().mapped("level_sequence"), [1, 2, 3])
        partner = self.customer.with_company(self.company)
        self.assertEqual(partner.otc_dunning_level, 3)

    def test_allow_skip(self):
        self.policy.allow_level_skip = True
        self.make_invoice(self.customer, 100, days_ago=105)
        self.run_dunning()
        self.assertEqual(self.comms().mapped("level_sequence"), [3])

    def test_minimum_amount_and_grace(self):
        self.make_invoice(self.customer, 40, days_ago=50)  # 20 days overdue, under 50
        self.run_dunning()
        self.assertFalse(self.comms())
        self.policy.level_ids.filtered(lambda lvl: lvl.sequence == 1).grace_days = 25
        self.make_invoice(self.customer, 40, days_ago=50)  # now 80 overdue, 20 days
        self.run_dunning()
        self.assertFalse(self.comms(), "within the grace days")
        self.run_dunning(days=14)
        self.assertFalse(self.comms(), "34 days: one day short of 10 + 25")
        self.run_dunning(days=15)
        self.assertEqual(self.comms().mapped("level_sequence"), [1])

    def test_disputed_and_promised_items_excluded(self):
        disputed = self.make_invoice(self.customer, 300, days_ago=60)
        self.env["otc.dispute"].create(
            {
                "move_id": disputed.id,
                "disputed_amount": 300,
                "reason_id": self.env.ref(
                    "otc_collections.otc_dispute_reason_price"
                ).id,
            }
        )
        promised = self.make_invoice(self.customer, 200, days_ago=60)
        self.env["otc.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [(6, 0, promised.ids)],
                "promise_date": self.today + timedelta(days=10),
                "amount": 200,
            }
        )
        self.run_dunning()
        self.assertFalse(self.comms())
        other = self.make_invoice(self.customer, 100, days_ago=60)
        self.run_dunning()
        self.assertEqual(self.comms().line_ids.move_id, other)

    def test_failure_leaves_nothing_and_rerun_completes(self):
        second = self.env["res.partner"].create({"name": "Second", "is_company": True})
        self.make_invoice(self.customer, 100, days_ago=60)
        self.make_invoice(second, 100, days_ago=60)
        Run = type(self.env["otc.dunning.run"])
        original = Run._apply_batch
        calls = []

        def failing(run, batch):
            calls.append(batch)
            if len(calls) == 2:
                raise RuntimeError("connection lost")
            return original(run, batch)

        with patch.object(Run, "_apply_batch", failing):
            with self.assertRaises(RuntimeError):
                self.run_dunning(batch_size=1)
        self.assertFalse(self.env["otc.dunning.communication"].search([]))
        self.run_dunning(batch_size=1)
        self.assertEqual(
            set(self.env["otc.dunning.communication"].search([]).partner_id.ids),
            {self.customer.id, second.id},
        )

    def test_two_runs_at_once(self):
        self.make_invoice(self.customer, 100, days_ago=60)
        first = self.env["otc.dunning.run"].create({"company_id": self.company.id})
        first._claim()
        self.assertEqual(first.state, "running")
        second = self.env["otc.dunning.run"].create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "in progress"):
            second._run()
        self.assertFalse(self.comms())

    def test_send_email_sms_fee(self):
        self.make_invoice(self.customer, 100, days_ago=70)  # 40 days overdue
        self.run_dunning()
        self.run_dunning(days=20)
        comm = self.comms()[-1]
        self.assertEqual(comm.level_sequence, 2)
        comm.with_user(self.collector).action_send()
        self.assertEqual(comm.state, "sent")
        mail = self.env["mail.mail"].search(
            [("model", "=", comm._name), ("res_id", "=", comm.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertTrue(mail.attachment_ids, "the reminder is attached")
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(sms.number, "+32470123456")
        self.assertEqual(comm.fee_move_id.amount_total, 15)
        self.assertEqual(comm.fee_move_id.state, "posted")

    def test_final_level_call_interest_and_hold(self):
        self.policy.allow_level_skip = True
        self.make_invoice(self.customer, 365, days_ago=130)  # 100 days overdue
        self.run_dunning()
        comm = self.comms()
        self.assertEqual(comm.level_sequence, 3)
        self.assertAlmostEqual(comm.interest_total, 10.0)  # 365 * 10% * 100/365
        comm.action_send()
        activity = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("+32470123456", activity.summary)
        partner = self.customer.with_company(self.company)
        self.assertTrue(partner.otc_credit_hold)
        self.assertEqual(partner.otc_credit_hold_type, "auto")
        self.assertAlmostEqual(comm.fee_move_id.amount_total, 10.0)

    def test_preview_writes_nothing(self):
        self.make_invoice(self.customer, 100, days_ago=60)
        wizard = self.env["otc.dunning.run.wizard"].create(
            {"company_id": self.company.id}
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.partner_id, self.customer)
        self.assertFalse(self.env["otc.dunning.communication"].search([]))
        wizard.action_run()
        self.assertEqual(len(self.comms()), 1)

    def test_collector_cannot_edit_policies(self):
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector).write({"name": "Softer"})
        self.make_invoice(self.customer, 100, days_ago=60)
        run = (
            self.env["otc.dunning.run"]
            .with_user(self.collector)
            .create({"company_id": self.company.id})
        )
        run._run()
        self.assertEqual(len(self.comms()), 1)

    def test_multi_company_run(self):
        other = self.setup_other_company(name="Dunning Co")
        self.make_invoice(self.customer, 100, days_ago=60, company_data=other)
        self.run_dunning()
        self.assertFalse(self.comms())

    def test_broken_promise_resumes_dunning(self):
        invoice = self.make_invoice(self.customer, 300, days_ago=60)
        promise = self.env["otc.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [(6, 0, invoice.ids)],
                "promise_date": self.today + timedelta(days=3),
                "amount": 300,
            }
        )
        self.run_dunning()
        self.assertFalse(self.comms(), "protected by the promise")
        # Nothing paid: ten days later the promise is broken, dunning resumes.
        promise._check_promises(today=self.today + timedelta(days=10))
        self.assertEqual(promise.state, "broken")
        self.run_dunning(days=10)
        self.assertEqual(self.comms().line_ids.move_id, invoice)

    # ------------------------------------------------------------------
    # Roles: communications come from runs, charges from the level
    # ------------------------------------------------------------------

    def test_collector_cannot_forge_communications(self):
        """A collector over the ORM can neither create a communication nor
        change what it charges; what a send charges comes from the level."""
        Comm = self.env["otc.dunning.communication"].with_user(self.collector)
        with self.assertRaises(AccessError):
            Comm.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "policy_id": self.policy.id,
                    "date": self.today,
                    "key": "forged",
                    "fee_amount": 99999.0,
                    "credit_hold": True,
                    "channel_email": False,
                }
            )
        self.make_invoice(self.customer, 100, days_ago=60)  # 30 days: level 1
        self.run_dunning()
        comm = self.comms()
        self.assertEqual((comm.level_sequence, comm.state), (1, "prepared"))
        mine = comm.with_user(self.collector)
        final = self.policy.level_ids.filtered(lambda lvl: lvl.sequence == 3)
        for vals in (
            {"fee_amount": 99999.0},
            {"credit_hold": True},
            {"interest_total": 500.0},
            {"level_id": final.id},
            {"state": "prepared", "channel_email": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                mine.write(vals)
        Line = self.env["otc.dunning.communication.line"].with_user(self.collector)
        with self.assertRaises(AccessError):
            Line.create({"communication_id": comm.id, "residual": 1.0})
        with self.assertRaises(AccessError):
            comm.line_ids.with_user(self.collector).write({"interest": 99999.0})
        # Channels are the collector's to choose before sending.
        mine.write({"channel_email": False, "channel_letter": True})
        # An AR clerk reads communications but does not send them.
        with self.assertRaises(AccessError):
            comm.with_user(self.clerk).action_send()
        # Even a fee and a hold written behind the collector's back are not
        # what goes out: the level (no fee, no hold) decides.
        comm.sudo().write({"fee_amount": 99999.0, "credit_hold": True})
        mine.action_send()
        self.assertEqual(comm.state, "sent")
        self.assertFalse(comm.fee_move_id)
        self.assertEqual((comm.fee_amount, comm.credit_hold), (0.0, False))
        self.assertFalse(self.customer.with_company(self.company).otc_credit_hold)
        self.assertFalse(
            self.env["account.move"].search(
                [("partner_id", "=", self.customer.id), ("amount_total", "=", 99999.0)]
            )
        )
        with self.assertRaises(UserError):
            mine.write({"channel_sms": True})
        with self.assertRaises(UserError):
            mine.action_cancel()

    def test_one_failing_customer_does_not_stop_the_run(self):
        """A customer whose reminder cannot be sent is marked failed with the
        error, the run sends the others, finishes and shows the failure."""
        template = self.env["mail.template"].create(
            {
                "name": "Reminder quoting the customer's reference",
                "model_id": self.env.ref(
                    "otc_collections.model_otc_dunning_communication"
                ).id,
                "subject": "Reminder {{ object.partner_id.ref.upper() }}",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": "<p>Please pay.</p>",
            }
        )
        self.policy.auto_send = True
        self.policy.level_ids.filtered(
            lambda lvl: lvl.sequence == 1
        ).mail_template_id = template
        second = self.env["res.partner"].create(
            {
                "name": "Second",
                "is_company": True,
                "email": "s@example.com",
                "ref": "s2",
            }
        )
        third = self.env["res.partner"].create(
            {"name": "Third", "is_company": True, "email": "t@example.com", "ref": "t3"}
        )
        # The first customer (lowest id) has no reference: its reminder fails.
        for partner in (self.customer, second, third):
            self.make_invoice(partner, 100, days_ago=60)
        run = (
            self.env["otc.dunning.run"]
            .with_user(self.collector)
            .create({"company_id": self.company.id, "date": self.today})
        )
        run._run(batch_size=1)
        self.assertEqual(run.state, "done")
        failed = self.comms()
        self.assertEqual(failed.state, "failed")
        self.assertIn("inline_template", failed.send_error)
        self.assertEqual(self.comms(second).state, "sent")
        self.assertEqual(self.comms(third).state, "sent")
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", failed._name), ("res_id", "=", failed.id)]
            ),
            "nothing of the failed sending is left",
        )
        self.assertEqual(
            self.customer.with_company(self.company).otc_dunning_level,
            1,
            "the customer's level moved with its communication",
        )
        self.assertEqual(run.failure_count, 1)
        self.assertEqual(
            self.env["otc.dunning.communication"]
            .search(run.action_open_failures()["domain"])
            .partner_id,
            self.customer,
        )
        self.assertTrue(
            any("could not be sent" in body for body in run.message_ids.mapped("body"))
        )
        # Once the data is fixed the collector sends it again.
        self.customer.ref = "c1"
        failed.with_user(self.collector).action_send()
        self.assertEqual(failed.state, "sent")
        self.assertFalse(failed.send_error)
