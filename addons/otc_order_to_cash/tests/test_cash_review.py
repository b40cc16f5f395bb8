from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged, users

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCashReview(OtcCashCommon):
    """The AR team's review: accept, reject, pick by hand, undo, learning and
    access rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inv_a = cls.make_invoice(cls.rossi, 410.0, days_ago=20)
        cls.inv_b = cls.make_invoice(cls.dupont, 410.0, days_ago=10)

    def ambiguous_line(self, **kw):
        """A payment of 410.00 nobody can tell apart: two suggestions."""
        line = self.make_line(410.0, label="PAYMENT", **kw)
        line._otc_match_lines()
        self.assertEqual(line.otc_match_state, "suggested")
        self.assertGreaterEqual(len(line.otc_suggestion_ids), 2)
        return line

    @users("otc_clerk")
    def test_accept_a_candidate(self):
        line = self.ambiguous_line().with_env(self.env)
        candidate = line.otc_suggestion_ids.filtered(
            lambda s: s.partner_id == self.dupont
        )
        self.assertTrue(candidate.reasons)
        candidate.action_accept()
        self.assert_paid_by(line, self.inv_b, state="manual")
        self.assertEqual(line.otc_matched_uid, self.clerk)
        self.assertEqual(candidate.state, "applied")
        self.assertFalse(line.otc_suggestion_ids, "other candidates are settled")

    def test_best_candidate_summary(self):
        line = self.ambiguous_line()
        best = line.otc_suggestion_ids.sorted(lambda s: (s.sequence, s.id))[0]
        self.assertEqual(line.otc_score, best.score)
        self.assertEqual(line.otc_suggested_partner_id, best.partner_id)
        self.assertEqual(line.otc_summary, best.document_names)
        self.assertIn(line.otc_summary, (self.inv_a.name, self.inv_b.name))

    def test_reject_then_no_match(self):
        line = self.ambiguous_line()
        line.otc_suggestion_ids[0].action_reject()
        self.assertEqual(line.otc_match_state, "suggested")
        line.otc_suggestion_ids.action_reject()
        self.assertEqual(line.otc_match_state, "unmatched")
        self.assertFalse(line.otc_suggestion_ids)
        self.assertFalse(line.otc_score)

    def test_accept_best_on_many_lines(self):
        inv_c = self.make_invoice(self.mueller, 55.0)
        first = self.ambiguous_line()
        second = self.make_line(55.0, label="Muller")
        self.company.otc_cash_auto_threshold = 100.0  # nothing automatic
        second._otc_match_lines()
        self.assertEqual(second.otc_match_state, "suggested")
        (first | second).with_user(self.clerk).action_otc_accept_best()
        self.assertTrue(first.is_reconciled)
        self.assert_paid_by(second, inv_c, state="manual")

    def test_pick_invoices_by_hand(self):
        line = self.make_line(500.0, label="payment for several invoices")
        action = line.with_user(self.clerk).action_otc_pick()
        self.assertEqual(action["res_model"], "otc.cash.pick.wizard")
        inv_c = self.make_invoice(self.rossi, 200.0, days_ago=5)
        wizard_form = Form(
            self.env["otc.cash.pick.wizard"].with_context(**action["context"])
        )
        wizard_form.partner_id = self.rossi
        wizard = wizard_form.save()
        # oldest first: 410 on inv_a, 90 on inv_c
        self.assertEqual(
            [(w.move_id, w.amount) for w in wizard.line_ids],
            [(self.inv_a, 410.0), (inv_c, 90.0)],
        )
        self.assertEqual(wizard.difference, 0.0)
        wizard.action_apply()
        self.assert_paid_by(line, self.inv_a | inv_c, state="manual")
        self.assertEqual(self.inv_a.payment_state, "paid")
        self.assertEqual(inv_c.payment_state, "partial")

    def test_pick_leaves_overpayment_as_credit(self):
        line = self.make_line(450.0, label="Dupont")
        wizard = (
            self.env["otc.cash.pick.wizard"]
            .with_context(default_statement_line_id=line.id)
            .create({"partner_id": self.dupont.id})
        )
        wizard._onchange_partner_id()
        self.assertEqual(wizard.difference, 40.0)
        wizard.action_apply()
        self.assertEqual(self.inv_b.payment_state, "paid")
        self.assertAlmostEqual(self.dupont.credit, -40.0)

    def test_pick_rejects_bad_input(self):
        line = self.make_line(100.0, label="x")
        wizard = (
            self.env["otc.cash.pick.wizard"]
            .with_context(default_statement_line_id=line.id)
            .create({"partner_id": self.rossi.id})
        )
        wizard._onchange_partner_id()
        wizard.line_ids.amount = -5.0
        with self.assertRaisesRegex(UserError, "negative"):
            wizard.action_apply()
        wizard.line_ids.amount = 600.0  # more than the invoice's 410 open
        with self.assertRaisesRegex(UserError, "more than its open amount"):
            wizard.action_apply()
        self.assertFalse(line.is_reconciled)

    def test_undo_reconciliation(self):
        line = self.make_line(410.0, label=self.inv_a.name)
        line._otc_match_lines()
        self.assert_paid_by(line, self.inv_a)
        line.with_user(self.clerk).action_otc_undo()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(self.inv_a.payment_state, "not_paid")
        self.assertIn(line.otc_match_state, ("suggested", "unmatched"))
        self.assertIn(
            self.bank_journal.suspense_account_id, line.move_id.line_ids.account_id
        )
        self.assertEqual(line.otc_applied_suggestion_id.id, False)
        # and it can be applied again
        line._otc_match_lines()
        self.assert_paid_by(line, self.inv_a)

    def test_learning_payer_account_name_and_pattern(self):
        iban = "FR7630006000011234567890189"
        label = "VIR SEPA Kd-Nr. 88412"
        first = self.make_line(
            410.0,
            label=label,
            partner_name="GROUPE DPT TRESORERIE",
            account_number=iban,
        )
        first._otc_match_lines()
        self.assertFalse(first.is_reconciled)
        first.otc_suggestion_ids.filtered(
            lambda s: s.partner_id == self.dupont
        ).with_user(self.clerk).action_accept()
        payers = self.env["otc.cash.payer"].search(
            [("partner_id", "=", self.dupont.id)]
        )
        self.assertEqual(
            set(payers.mapped("kind")),
            {"account", "name", "pattern"},
            payers.mapped(lambda p: (p.kind, p.value)),
        )
        self.assertEqual(
            self.env["res.partner.bank"].search([("acc_number", "=", iban)]).partner_id,
            self.dupont,
        )
        # each fact alone now identifies Dupont: the next payment of another
        # Dupont invoice, with the same amount as a Rossi invoice, is automatic
        for kw in (
            {"account_number": iban},
            {"partner_name": "Groupe DPT Tresorerie"},
            {"label": "Kd Nr 88412 payment"},
        ):
            invoice = self.make_invoice(self.dupont, 123.45)
            self.make_invoice(self.rossi, 123.45)
            vals = {"label": "PAYMENT", **kw}
            line = self.make_line(123.45, **vals)
            line._otc_match_lines()
            self.assert_paid_by(line, invoice)

    def test_conflicting_learned_names_are_ignored(self):
        Payer = self.env["otc.cash.payer"]
        Payer.create(
            {"partner_id": self.rossi.id, "kind": "name", "value": "PAYPAL EUROPE"}
        )
        Payer.create(
            {"partner_id": self.dupont.id, "kind": "name", "value": "Paypal Europe"}
        )
        _accounts, names, _patterns = Payer._otc_known_payers(self.company)
        self.assertNotIn("europe paypal", names)
        with self.assertRaises(UserError):
            Payer.create(
                {"partner_id": self.rossi.id, "kind": "pattern", "value": "(["}
            )

    def test_salesperson_may_not_apply_cash(self):
        line = self.ambiguous_line()
        for method in ("action_otc_match", "action_otc_accept_best", "action_otc_undo"):
            with self.assertRaises(AccessError, msg=method):
                getattr(line.with_user(self.salesman), method)()
        with self.assertRaises(AccessError):
            line.otc_suggestion_ids[0].with_user(self.salesman).action_accept()
        self.assertFalse(line.is_reconciled)

    def test_clerk_applies_cash(self):
        line = self.make_line(410.0, label=self.inv_a.name)
        line.with_user(self.clerk).action_otc_match()
        self.assert_paid_by(line, self.inv_a)
        self.assertTrue(
            self.env["otc.cash.suggestion"]
            .with_user(self.clerk)
            .search([("statement_line_id", "=", line.id)])
        )
