from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..engine import matching


class OtcCreditCommon(AccountTestInvoicingCommon):
    """A company with a chart, a customer with a contact, users of every
    Order-to-Cash group and helpers to make invoices, payments and orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "otc_credit_check": True,
                "otc_default_credit_policy": "block",
                "otc_check_overdue": True,
                "otc_default_max_overdue_days": 30,
                "otc_credit_alert_threshold": 80.0,
                "otc_exposure_receivable": True,
                "otc_exposure_draft_invoices": True,
                "otc_exposure_unbilled_orders": True,
                "otc_exposure_unallocated": True,
                "otc_auto_hold_overdue": False,
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.product = cls.env["product.product"].create(
            {
                "name": "Credit Widget",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
                "property_account_income_id": cls.company_data[
                    "default_account_revenue"
                ].id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Credit Customer", "is_company": True, "email": "cc@example.com"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Buyer at Credit Customer", "parent_id": cls.customer.id}
        )
        company_vals = {
            "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
        }
        cls.salesman = new_test_user(
            cls.env,
            "otc_salesman",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            **company_vals,
        )
        cls.clerk = new_test_user(
            cls.env,
            "otc_clerk",
            groups="otc_order_to_cash.group_otc_ar_clerk,base.group_partner_manager",
            **company_vals,
        )
        cls.collector = new_test_user(
            cls.env,
            "otc_collector",
            groups="otc_order_to_cash.group_otc_collector",
            **company_vals,
        )
        cls.credit_manager = new_test_user(
            cls.env,
            "otc_credit_manager",
            groups="otc_order_to_cash.group_otc_credit_manager",
            **company_vals,
        )
        cls.ar_manager = new_test_user(
            cls.env,
            "otc_ar_manager",
            groups="otc_order_to_cash.group_otc_ar_manager",
            **company_vals,
        )
        cls.company.otc_credit_manager_id = cls.credit_manager
        # The accountant running the tests works the AR desk too.
        cls.env.user.groups_id += cls.env.ref("otc_order_to_cash.group_otc_ar_manager")

    @classmethod
    def set_credit(cls, partner, limit=0.0, company=None, **vals):
        partner.with_company(company or cls.company).sudo().write(
            dict(vals, credit_limit=limit)
        )

    @classmethod
    def make_invoice(
        cls,
        partner,
        amount,
        days_ago=0,
        due_days=30,
        post=True,
        move_type="out_invoice",
        currency=None,
        company_data=None,
    ):
        company_data = company_data or cls.company_data
        invoice_date = cls.today - timedelta(days=days_ago)
        move = (
            cls.env["account.move"]
            .with_company(company_data["company"])
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": invoice_date + timedelta(days=due_days),
                    "currency_id": (currency or company_data["currency"]).id,
                    "journal_id": company_data["default_journal_sale"].id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Service",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                                "account_id": company_data[
                                    "default_account_revenue"
                                ].id,
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def make_payment(cls, partner, amount, company_data=None):
        company_data = company_data or cls.company_data
        payment = (
            cls.env["account.payment"]
            .with_company(company_data["company"])
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "journal_id": company_data["default_journal_bank"].id,
                }
            )
        )
        payment.action_post()
        return payment

    @classmethod
    def make_order(
        cls, partner, amount, qty=1.0, user=None, company=None, pricelist=None
    ):
        company = company or cls.company
        env = cls.env(user=user) if user else cls.env
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": cls.product.id,
                        "product_uom_qty": qty,
                        "price_unit": amount / qty,
                        "tax_id": [Command.clear()],
                    }
                )
            ],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        return env["sale.order"].with_company(company).create(vals)

    def exposure(self, partner=None, company=None):
        partner = partner or self.customer
        company = company or self.company
        return self.env["otc.credit.exposure"]._get_exposure(partner, company)[
            partner.id
        ]


class OtcCashCommon(OtcCreditCommon):
    """Customers, a bank journal and helpers for cash application tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.writeoff_account = cls.company_data["default_account_expense"]
        cls.company.write(
            {
                "otc_cash_auto_match": True,
                "otc_cash_auto_threshold": 90.0,
                "otc_cash_writeoff_account_id": cls.writeoff_account.id,
                "otc_cash_writeoff_limit": 10.0,
                "otc_cash_fee_tolerance": 5.0,
                "otc_cash_fee_tolerance_pct": 0.5,
            }
        )
        Partner = cls.env["res.partner"]
        cls.mueller = Partner.create({"name": "Müller Bau GmbH", "is_company": True})
        cls.rossi = Partner.create(
            {"name": "Rossi Trasporti S.p.A.", "is_company": True}
        )
        cls.dupont = Partner.create({"name": "Dupont Frères SARL", "is_company": True})
        cls.mueller_iban = "DE02120300000000202051"
        cls.env["res.partner.bank"].create(
            {"acc_number": cls.mueller_iban, "partner_id": cls.mueller.id}
        )

    @classmethod
    def make_line(
        cls,
        amount,
        label="",
        partner_name="",
        account_number="",
        ref="",
        foreign_currency=None,
        amount_currency=None,
        date=None,
        journal=None,
    ):
        vals = {
            "journal_id": (journal or cls.bank_journal).id,
            "date": date or cls.today,
            "amount": amount,
            "payment_ref": label or "/",
            "partner_name": partner_name or False,
            "account_number": account_number or False,
            "ref": ref or False,
        }
        if foreign_currency:
            vals["foreign_currency_id"] = foreign_currency.id
            vals["amount_currency"] = amount_currency
        return cls.env["account.bank.statement.line"].create(vals)

    @staticmethod
    def receivable(move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def apply_proposal(self, line, invoices, amounts, orm=False, **extra):
        """Apply a proposal paying ``invoices``' receivables ``amounts`` to
        ``line`` as an automatic run does; ``orm``: through the ORM, as a
        person applying it. Flushed, caches emptied."""
        items = self.receivable(invoices)
        proposal = matching.Proposal(
            customer_id=invoices.partner_id.id,
            allocations=tuple(zip(items.ids, amounts, strict=True)),
            kind=extra.pop("kind", "exact"),
            score=1.0,
            strength=1.0,
            reasons=(),
            **extra,
        )
        Line = self.env["account.bank.statement.line"]
        if orm:
            Line = Line.with_context(otc_orm_writes=True)
        applied = Line._otc_apply([(line, proposal)], origin="auto", strict=True)
        self.assertEqual(applied, line)
        self.env.flush_all()
        self.env.invalidate_all()

    def assert_paid_by(self, line, invoices, state="auto"):
        """``line`` is reconciled with exactly ``invoices``' receivables."""
        self.assertTrue(line.is_reconciled, line.otc_match_note)
        self.assertEqual(line.otc_match_state, state)
        counterparts = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )
        matched = (
            counterparts.matched_debit_ids.debit_move_id
            | counterparts.matched_credit_ids.credit_move_id
        )
        self.assertEqual(matched.move_id, invoices)
        # the entry is what a manual reconciliation leaves: balanced, no
        # suspense item, counterparts fully used and flagged reconciled
        self.assertFalse(line.amount_residual)
        self.assertAlmostEqual(sum(line.move_id.line_ids.mapped("balance")), 0.0)
        self.assertNotIn(
            line.journal_id.suspense_account_id, line.move_id.line_ids.account_id
        )
        used = counterparts.filtered(lambda aml: aml.matched_debit_ids)
        self.assertTrue(used)
        for counterpart in used:
            self.assertTrue(counterpart.reconciled, counterpart.move_id.name)
            self.assertFalse(counterpart.amount_residual)
