from odoo.tests import tagged

from .common import OtcCashCommon


@tagged("post_install", "-at_install")
class TestCashNamedSubset(OtcCashCommon):
    """A receipt naming some of the invoices it pays (issue 14, point 4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        amounts = (412.37, 1290.05, 88.60, 2315.90, 640.12, 157.44)
        cls.invoices = [
            cls.make_invoice(cls.mueller, amount, days_ago=60 - 5 * k)
            for k, amount in enumerate(amounts)
        ]

    def test_named_invoice_and_others_of_the_customer(self):
        named = self.invoices[3]
        others = self.invoices[1] | self.invoices[5]
        amount = named.amount_total + sum(others.mapped("amount_total"))
        line = self.make_line(
            amount, label=f"Rechnung {named.name}", partner_name="MUELLER BAU GMBH"
        )
        line._otc_match_lines()
        # not an overpayment of the named invoice: it and the two others
        self.assert_paid_by(line, named | others)
        codes = {c for c, _a, _t, _w in line.otc_applied_suggestion_id.reason_data}
        self.assertIn("subset_referenced_more", codes)
        self.assertFalse(
            line.move_id.line_ids.filtered(
                lambda aml: (
                    aml.account_id.account_type == "asset_receivable"
                    and aml.reconciled is False
                )
            )
        )
        self.assertEqual(set((named | others).mapped("payment_state")), {"paid"})

    def test_excess_no_open_item_pays_stays_an_overpayment(self):
        named = self.invoices[3]
        line = self.make_line(
            named.amount_total + 13.13,
            label=f"Rechnung {named.name}",
            partner_name="MUELLER BAU GMBH",
        )
        line._otc_match_lines()
        self.assertTrue(line.is_reconciled, line.otc_match_note)
        self.assertEqual(named.payment_state, "paid")
        self.assertEqual(
            self.invoices[1].payment_state + self.invoices[5].payment_state,
            "not_paidnot_paid",
        )
