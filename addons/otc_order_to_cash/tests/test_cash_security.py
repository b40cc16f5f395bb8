from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged, users

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCashSecurity(OtcCashCommon):
    """What the AR team may write in cash application: the suite's matching
    fields through its actions, never a statement line's amount, never a
    candidate over the ORM; payer patterns of a safe form only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.make_invoice(cls.rossi, 410.0, days_ago=20)
        cls.other = cls.make_invoice(cls.dupont, 410.0, days_ago=10)

    def test_clerk_cannot_rewrite_a_statement_line(self):
        line = self.make_line(99.0, label="PAYMENT")
        with self.assertRaises(AccessError):
            line.with_user(self.clerk).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            line.with_user(self.clerk).write({"otc_match_state": "auto"})
        self.assertEqual(line.amount, 99.0)
        # ... while the suite's actions still record their outcome
        line.with_user(self.clerk).action_otc_match()
        self.assertEqual(line.otc_match_state, "unmatched")

    @users("otc_clerk")
    def test_clerk_applies_cash_through_the_actions(self):
        line = self.make_line(410.0, label="PAYMENT").with_env(self.env)
        line.action_otc_match()
        self.assertEqual(line.otc_match_state, "suggested")
        line.action_otc_reject()
        self.assertEqual(line.otc_match_state, "unmatched")
        self.assertFalse(line.otc_suggestion_ids)

    def test_suggestions_are_read_only_for_every_group(self):
        accesses = self.env["ir.model.access"].search(
            [("model_id.model", "=", "otc.cash.suggestion")]
        )
        self.assertTrue(accesses)
        for access in accesses:
            self.assertTrue(access.perm_read, access.name)
            self.assertFalse(
                access.perm_write or access.perm_create or access.perm_unlink,
                access.name,
            )
        line = self.make_line(410.0, label="PAYMENT")
        line._otc_match_lines()
        candidate = line.otc_suggestion_ids[:1]
        self.assertTrue(candidate)
        for user in (self.clerk, self.collector, self.credit_manager, self.ar_manager):
            as_user = candidate.with_user(user)
            as_user.read(["score", "discount"])  # they read it
            with self.assertRaises(AccessError):
                as_user.write({"discount": 409.0})
            with self.assertRaises(AccessError):
                as_user.copy()
            with self.assertRaises(AccessError):
                as_user.unlink()
        # rejecting is an action: the matcher writes the candidate
        candidate.with_user(self.clerk).action_reject()
        self.assertEqual(candidate.state, "rejected")

    def test_payer_patterns_of_a_safe_form_only(self):
        Payer = self.env["otc.cash.payer"].with_user(self.clerk)
        for pattern in (r"(a+)+$", r"(\w)\1", r"(x|xx)*y", r"\W*\W*\W*x"):
            with self.assertRaises(ValidationError), self.cr.savepoint():
                Payer.create(
                    {"partner_id": self.rossi.id, "kind": "pattern", "value": pattern}
                )
        payer = Payer.create(
            {"partner_id": self.rossi.id, "kind": "pattern", "value": r"KD-?NR\s*\d{6}"}
        )
        self.assertTrue(payer)
