from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestDispute(OtcCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env.ref("otc_collections.otc_dispute_reason_price")
        cls.invoice = cls.make_invoice(cls.customer, 1000)

    def _dispute(self, amount=300.0, user=None, invoice=None):
        env = self.env(user=user) if user else self.env
        return env["otc.dispute"].create(
            {
                "move_id": (invoice or self.invoice).id,
                "disputed_amount": amount,
                "reason_id": self.reason.id,
                "owner_id": self.collector.id,
            }
        )

    def test_invoice_form_without_suite_groups(self):
        """An invoicing user outside the AR groups still opens invoices (the
        form read the disputes, which only AR users may read)."""
        billing = new_test_user(
            self.env,
            "otc_billing_only",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._dispute()
        form = Form(self.invoice.with_user(billing))
        form.ref = "checked by billing"
        form.save()
        self.assertEqual(self.invoice.ref, "checked by billing")

    def test_open_dispute_deadline_activity_and_amounts(self):
        dispute = self._dispute(user=self.clerk)
        self.assertRegex(dispute.name, r"^DSP/")
        self.assertEqual(dispute.partner_id, self.customer)
        self.assertEqual(
            (dispute.deadline - dispute.create_date.date()).days, self.reason.sla_days
        )
        activity = dispute.sudo().activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertEqual(activity.date_deadline, dispute.deadline)
        self.assertAlmostEqual(self.invoice.otc_disputed_amount, 300)
        partner = self.customer.with_company(self.company)
        self.assertAlmostEqual(partner.otc_disputed_amount, 300)
        self.assertEqual(partner.otc_open_dispute_count, 1)
        self.assertTrue(
            any("Dispute" in body for body in self.invoice.message_ids.mapped("body"))
        )

    def test_amount_validation(self):
        with self.assertRaises(ValidationError):
            self._dispute(1000.01)
        with self.assertRaises(ValidationError):
            self._dispute(-5)
        with self.assertRaises(ValidationError):
            self._dispute(0)
        draft = self.make_invoice(self.customer, 50, post=False)
        with self.assertRaises(ValidationError):
            self._dispute(10, invoice=draft)

    def test_form_defaults_to_amount_due(self):
        with Form(self.env["otc.dispute"]) as form:
            form.move_id = self.invoice
            form.reason_id = self.reason
            self.assertAlmostEqual(form.disputed_amount, 1000)
        self.assertEqual(form.record.state, "open")

    def test_resolve_partial_issues_reconciled_credit_note(self):
        dispute = self._dispute(300)
        dispute.with_user(self.collector).action_resolve_credit_note()
        self.assertEqual(dispute.state, "resolved")
        credit_note = dispute.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertAlmostEqual(credit_note.amount_total, 300)
        self.assertAlmostEqual(self.invoice.amount_residual, 700)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertAlmostEqual(self.invoice.otc_disputed_amount, 0)
        self.assertFalse(dispute.sudo().activity_ids)
        # The customer's exposure drops by the credited amount.
        self.assertAlmostEqual(self.exposure().receivable, 700)

    def test_resolve_full_reverses_invoice(self):
        dispute = self._dispute(1000)
        dispute.with_user(self.collector).action_resolve_credit_note()
        self.assertAlmostEqual(dispute.credit_note_id.amount_total, 1000)
        self.assertIn(self.invoice.payment_state, ("reversed", "paid"))
        self.assertAlmostEqual(self.invoice.amount_residual, 0)

    def test_reject_returns_to_dunning(self):
        dispute = self._dispute(200)
        action = dispute.with_user(self.collector).action_reject()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create({"note": "Prices were agreed in the contract"})
        )
        wizard.action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(dispute.resolution_note, "Prices were agreed in the contract")
        self.assertFalse(dispute.credit_note_id)
        self.assertAlmostEqual(self.invoice.amount_residual, 1000)
        self.assertAlmostEqual(self.invoice.otc_disputed_amount, 0)
        with self.assertRaises(UserError):
            dispute.with_user(self.collector).action_resolve_credit_note()

    def test_clerk_cannot_resolve_or_reject(self):
        dispute = self._dispute(100, user=self.clerk)
        with self.assertRaises(AccessError):
            dispute.with_user(self.clerk).action_resolve_credit_note()
        with self.assertRaises(AccessError):
            dispute.with_user(self.clerk).action_reject()
        with self.assertRaises(AccessError):
            dispute.with_user(self.clerk)._reject("no")
        self.assertEqual(dispute.state, "open")

    def test_salesman_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["otc.dispute"].with_user(self.salesman).search([])

    def test_multi_company(self):
        other = self.setup_other_company(name="Dispute Co")
        other_invoice = self.make_invoice(self.customer, 400, company_data=other)
        self._dispute(100, invoice=other_invoice)
        self._dispute(100)
        visible = self.env["otc.dispute"].with_user(self.collector).search([])
        self.assertEqual(visible.company_id, self.company)
