import importlib.util

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from ..hooks import post_init_hook
from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestCashDefaults(OtcCreditCommon):
    """Cash application as installed: nothing set by hand.

    The other cash tests set the Payment Difference Account themselves; these
    take the companies as the install (post_init_hook) and the chart loading
    leave them.
    """

    def make_line(self, company_data, amount, label, partner_name=""):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": company_data["default_journal_bank"].id,
                "date": self.today,
                "amount": amount,
                "payment_ref": label,
                "partner_name": partner_name or False,
            }
        )

    def bank_fee_account(self, company):
        chart = self.env["account.chart.template"].with_company(company)
        return chart.ref("expense_finance")

    def assert_fee_written_off(self, company_data):
        company = company_data["company"]
        account = company.otc_cash_writeoff_account_id
        self.assertEqual(account, self.bank_fee_account(company))
        self.assertEqual(account.name, "Bank Fees")
        invoice = self.make_invoice(self.customer, 2290.50, company_data=company_data)
        line = self.make_line(
            company_data, 2287.00, f"PAYMENT {invoice.name}", "Credit Customer"
        )
        line._otc_match_lines()
        self.assertTrue(line.is_reconciled, line.otc_match_note)
        self.assertEqual(line.otc_match_state, "auto")
        self.assertEqual(invoice.payment_state, "paid")
        writeoff = line.move_id.line_ids.filtered(lambda a: a.account_id == account)
        self.assertAlmostEqual(writeoff.debit, 3.50)

    def test_installed_company_writes_off_bank_fee(self):
        # the test company got its chart the way a new company does; the
        # defaults of limit and tolerance are the installed ones
        self.assertEqual(self.company.otc_cash_writeoff_limit, 10.0)
        self.assertEqual(self.company.otc_cash_fee_tolerance, 5.0)
        self.assert_fee_written_off(self.company_data)

    def test_company_created_later_writes_off_bank_fee(self):
        company = self.env["res.company"].create({"name": "OTC Later Company"})
        self.assertFalse(company.otc_cash_writeoff_account_id)
        company_data = self.setup_other_company(name="OTC Later Company 2")
        self.assert_fee_written_off(company_data)

    def test_post_init_hook_sets_existing_companies(self):
        self.company.otc_cash_writeoff_account_id = False
        post_init_hook(self.env)
        self.assertEqual(
            self.company.otc_cash_writeoff_account_id,
            self.bank_fee_account(self.company),
        )
        # an account chosen by the company is kept
        other = self.company_data["default_account_expense"]
        self.company.otc_cash_writeoff_account_id = other
        post_init_hook(self.env)
        self.assertEqual(self.company.otc_cash_writeoff_account_id, other)

    def test_upgrade_sets_the_default_too(self):
        # a database that had the suite before the default existed: the
        # migration of 18.0.1.1.0 fills the empty account, keeps a chosen one
        path = file_path("otc_order_to_cash/migrations/18.0.1.1.0/post-migration.py")
        spec = importlib.util.spec_from_file_location("otc_migration_1_1", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.company.otc_cash_writeoff_account_id = False
        migration.migrate(self.env.cr, None)  # a fresh install: nothing to do
        self.assertFalse(self.company.otc_cash_writeoff_account_id)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(
            self.company.otc_cash_writeoff_account_id,
            self.bank_fee_account(self.company),
        )

    def test_chart_without_bank_fee_account_gets_one(self):
        fees = self.bank_fee_account(self.company)
        self.env["ir.model.data"].search(
            [("model", "=", "account.account"), ("res_id", "=", fees.id)]
        ).unlink()
        self.company.otc_cash_writeoff_account_id = False
        self.company._otc_ensure_cash_writeoff_account()
        account = self.company.otc_cash_writeoff_account_id
        self.assertTrue(account)
        self.assertNotEqual(account, fees)
        self.assertEqual(account.name, "Bank Fees")
        self.assertEqual(account.account_type, "expense")
        self.assertIn(self.company, account.company_ids)
        # once set, it stays
        self.company._otc_ensure_cash_writeoff_account()
        self.assertEqual(self.company.otc_cash_writeoff_account_id, account)

    def test_warning_without_account(self):
        Line = self.env["account.bank.statement.line"]
        action = Line.with_user(self.clerk)._otc_action_review()
        self.assertNotIn("otc_writeoff_missing", action["context"])
        line = self.make_line(self.company_data, 100.0, "X")
        self.assertFalse(line.otc_writeoff_account_missing)

        self.company.otc_cash_writeoff_account_id = False
        line.invalidate_recordset(["otc_writeoff_account_missing"])
        self.assertTrue(line.with_user(self.clerk).otc_writeoff_account_missing)
        action = Line.with_user(self.clerk)._otc_action_review()
        self.assertEqual(action["res_model"], "account.bank.statement.line")
        self.assertEqual(action["context"]["otc_writeoff_missing"], self.company.name)
        self.assertEqual(action["context"]["search_default_to_review"], 1)
        with self.assertRaisesRegex(UserError, "Payment Difference Account"):
            Line.with_user(self.clerk).action_otc_writeoff_missing()
        settings = Line.action_otc_writeoff_missing()
        self.assertEqual(settings["res_model"], "res.config.settings")
        # without the account, a fee is no fee: the line is not written off
        invoice = self.make_invoice(self.customer, 2290.50)
        line = self.make_line(self.company_data, 2287.00, f"PAYMENT {invoice.name}")
        line._otc_match_lines()
        self.assertNotEqual(invoice.payment_state, "paid")
