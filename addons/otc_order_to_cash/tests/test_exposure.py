from odoo import Command
from odoo.tests import tagged

from .common import OtcCreditCommon


@tagged("post_install", "-at_install")
class TestExposure(OtcCreditCommon):
    def test_open_receivables_only_posted_and_open(self):
        self.make_invoice(self.customer, 1000)
        self.make_invoice(self.contact, 250)  # a contact's invoice is the company's
        paid = self.make_invoice(self.customer, 400)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=paid.ids
        ).create({})._create_payments()
        exp = self.exposure()
        self.assertAlmostEqual(exp.receivable, 1250)
        self.assertAlmostEqual(exp.unallocated, 0)
        self.assertAlmostEqual(exp.exposure, 1250)

    def test_partial_payment_leaves_residual(self):
        invoice = self.make_invoice(self.customer, 1000)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 300})._create_payments()
        self.assertAlmostEqual(self.exposure().receivable, 700)

    def test_draft_invoices_and_switch(self):
        self.make_invoice(self.customer, 1000)
        self.make_invoice(self.customer, 600, post=False)
        self.make_invoice(self.customer, 100, post=False, move_type="out_refund")
        exp = self.exposure()
        self.assertAlmostEqual(exp.draft_invoices, 500)
        self.assertAlmostEqual(exp.exposure, 1500)
        self.company.otc_exposure_draft_invoices = False
        self.assertAlmostEqual(self.exposure().exposure, 1000)

    def test_unallocated_payment_deducted_and_switch(self):
        self.make_invoice(self.customer, 1000)
        self.make_payment(self.customer, 300)
        exp = self.exposure()
        self.assertAlmostEqual(exp.receivable, 1000)
        self.assertAlmostEqual(exp.unallocated, 300)
        self.assertAlmostEqual(exp.exposure, 700)
        self.company.otc_exposure_unallocated = False
        self.assertAlmostEqual(self.exposure().exposure, 1000)

    def test_open_credit_note_deducted(self):
        self.make_invoice(self.customer, 1000)
        self.make_invoice(self.customer, 150, move_type="out_refund")
        exp = self.exposure()
        self.assertAlmostEqual(exp.unallocated, 150)
        self.assertAlmostEqual(exp.exposure, 850)

    def test_receivable_switch(self):
        self.make_invoice(self.customer, 1000)
        self.company.otc_exposure_receivable = False
        self.assertAlmostEqual(self.exposure().exposure, 0)

    def test_unbilled_orders_full_partial_delivered_and_locked(self):
        order = self.make_order(self.contact, 1000, qty=10)
        self.assertAlmostEqual(
            self.exposure().unbilled_orders, 0, msg="quotations do not count"
        )
        order.with_context(otc_skip_credit_check=True).action_confirm()
        self.assertAlmostEqual(self.exposure().unbilled_orders, 1000)

        # Invoice 4 of 10: the draft invoice is a draft, the rest is unbilled.
        line = order.order_line
        invoice = order._create_invoices()
        invoice.invoice_line_ids.quantity = 4
        exp = self.exposure()
        self.assertAlmostEqual(exp.unbilled_orders, 600)
        self.assertAlmostEqual(exp.draft_invoices, 400)
        self.assertAlmostEqual(exp.exposure, 1000)
        invoice.action_post()
        exp = self.exposure()
        self.assertAlmostEqual(exp.unbilled_orders, 600)
        self.assertAlmostEqual(exp.receivable, 400)

        # Delivered beyond the ordered quantity: the delivered quantity counts.
        line.qty_delivered = 12
        self.assertAlmostEqual(self.exposure().unbilled_orders, 800)

        # A locked order counts until invoiced.
        order.action_lock()
        self.assertTrue(order.locked)
        self.assertAlmostEqual(self.exposure().unbilled_orders, 800)

        self.company.otc_exposure_unbilled_orders = False
        self.assertAlmostEqual(self.exposure().exposure, 400)

    def test_unbilled_order_includes_taxes(self):
        tax = self.env["account.tax"].create(
            {
                "name": "VAT 20",
                "amount": 20,
                "amount_type": "percent",
                "company_id": self.company.id,
            }
        )
        order = self.make_order(self.customer, 1000)
        order.order_line.tax_id = [Command.set(tax.ids)]
        order.with_context(otc_skip_credit_check=True).action_confirm()
        self.assertAlmostEqual(self.exposure().unbilled_orders, 1200)

    def test_cancelled_order_does_not_count(self):
        order = self.make_order(self.customer, 1000)
        order.with_context(otc_skip_credit_check=True).action_confirm()
        order._action_cancel()
        self.assertAlmostEqual(self.exposure().unbilled_orders, 0)

    def test_foreign_currency_order_and_invoice(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id}
        )
        order = self.make_order(self.customer, 1000, pricelist=pricelist)
        self.assertEqual(order.currency_id, eur)
        order.with_context(otc_skip_credit_check=True).action_confirm()
        self.make_invoice(self.customer, 500, currency=eur)
        exp = self.exposure()
        self.assertAlmostEqual(
            exp.unbilled_orders, 500, msg="1000 EUR at 2 EUR per USD"
        )
        self.assertAlmostEqual(exp.receivable, 250)

    def test_other_company_documents_ignored(self):
        other = self.setup_other_company(name="Other Co")
        self.make_invoice(self.customer, 1000)
        self.make_invoice(self.customer, 5000, company_data=other)
        self.assertAlmostEqual(self.exposure().receivable, 1000)
        self.assertAlmostEqual(self.exposure(company=other["company"]).receivable, 5000)

    def test_overdue_amount_and_oldest_due_date(self):
        self.make_invoice(self.customer, 100, days_ago=50)  # due 20 days ago
        self.make_invoice(self.customer, 200, days_ago=40)  # due 10 days ago
        self.make_invoice(self.customer, 300, days_ago=0)  # not due
        exp = self.exposure()
        self.assertAlmostEqual(exp.overdue_amount, 300)
        self.assertEqual((self.today - exp.oldest_due_date).days, 20)

    def test_partner_form_breakdown(self):
        self.set_credit(self.customer, 5000)
        self.make_invoice(self.customer, 1000, days_ago=45)
        self.make_payment(self.customer, 200)
        partner = self.contact.with_company(self.company)
        self.assertAlmostEqual(partner.otc_exposure_receivable, 1000)
        self.assertAlmostEqual(partner.otc_exposure_unallocated, 200)
        self.assertAlmostEqual(partner.otc_exposure, 800)
        self.assertAlmostEqual(partner.otc_available_credit, 4200)
        self.assertEqual(partner.otc_oldest_overdue_days, 15)
        self.assertEqual(partner.otc_credit_status, "ok")
        self.make_invoice(self.customer, 3500)
        partner.invalidate_recordset()
        self.assertEqual(partner.otc_credit_status, "near")

    def _summary_vs_items(self):
        """Summary rows plus appended changes that differ from the journal items."""
        return self.env["otc.credit.exposure"]._open_item_differences()

    def test_open_item_summary_follows_every_change(self):
        inv1 = self.make_invoice(self.customer, 1000, days_ago=40)
        inv2 = self.make_invoice(self.contact, 500)
        draft = self.make_invoice(self.customer, 70, post=False)
        payment = self.make_payment(self.customer, 300)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=inv2.ids
        ).create({"amount": 200})._create_payments()
        # reconcile the unallocated payment with the first invoice
        lines = (inv1 | payment.move_id).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        lines.reconcile()
        self.assertEqual(self._summary_vs_items(), [])
        inv1.button_draft()  # unreconciles and un-posts
        self.assertEqual(self._summary_vs_items(), [])
        inv1.action_post()
        inv1._reverse_moves(cancel=True)
        draft.action_post()
        draft.button_draft()
        draft.unlink()
        self.assertEqual(self._summary_vs_items(), [])
        exp = self.exposure()
        self.assertAlmostEqual(exp.receivable, 300)  # inv2's rest
        self.assertAlmostEqual(exp.unallocated, 300)  # payment free again
        # Folded, or rebuilt from the journal items: the same figures.
        self.env["otc.credit.exposure"]._fold_open_item_deltas()
        self.assertEqual(self._summary_vs_items(), [])
        self.assertEqual(self.exposure(), exp)
        self.env["otc.credit.exposure"]._rebuild_open_item_summary()
        self.assertEqual(self._summary_vs_items(), [])
        self.assertEqual(self.exposure(), exp)
