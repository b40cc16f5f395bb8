from odoo.tests import tagged

from .common import OtcCashCommon


def swap(number, i):
    """``number`` with its characters ``i`` and ``i + 1`` swapped."""
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


@tagged("post_install", "-at_install")
class TestCashTyping(OtcCashCommon):
    """Typing errors of payers, through Odoo (issue 14, point 3): two digits
    of the invoice number swapped, the customer named in the label or in the
    payer field or nowhere, and a swapped number that is another invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # numbers 1..21 of the journal's sequence: "…/00012" swapped is
        # "…/00021", another open invoice; "…/00013" swapped is nobody's
        cls.invoices = [
            cls.make_invoice(
                cls.mueller if n in (12, 13) else cls.rossi, 100.0 + n, days_ago=40 - n
            )
            for n in range(1, 22)
        ]
        by_number = {inv.name[-5:]: inv for inv in cls.invoices}
        cls.twelve = by_number["00012"]
        cls.twenty_one = by_number["00021"]
        cls.thirteen = by_number["00013"]
        assert (cls.twelve | cls.thirteen).partner_id == cls.mueller

    def match(self, line):
        line._otc_match_lines()
        return line

    def test_swapped_digits_name_in_label(self):
        number = swap(self.thirteen.name, len(self.thirteen.name) - 2)
        self.assertFalse(self.env["account.move"].search([("name", "=", number)]))
        line = self.match(
            self.make_line(
                self.thirteen.amount_total, label=f"MUELLER BAU GMBH {number}"
            )
        )
        self.assert_paid_by(line, self.thirteen)
        codes = {c for c, _a, _t, _w in line.otc_applied_suggestion_id.reason_data}
        self.assertIn("payer_name_label", codes)
        self.assertIn("invoice_number_typo", codes)
        # the reason reads in the user's words
        self.assertIn(
            "customer named in the label", line.otc_applied_suggestion_id.reasons
        )

    def test_swapped_digits_payer_name(self):
        number = swap(self.thirteen.name, len(self.thirteen.name) - 2)
        line = self.match(
            self.make_line(
                self.thirteen.amount_total, label=number, partner_name="MUELLER BAU"
            )
        )
        self.assert_paid_by(line, self.thirteen)

    def test_swapped_digits_without_name_are_suggested(self):
        number = swap(self.thirteen.name, len(self.thirteen.name) - 2)
        line = self.match(self.make_line(self.thirteen.amount_total, label=number))
        self.assertFalse(line.is_reconciled)
        best = line.otc_suggestion_ids.sorted("sequence")[:1]
        self.assertEqual(best.move_line_ids.move_id, self.thirteen)

    def test_mistyped_number_is_another_invoice(self):
        number = swap(self.twelve.name, len(self.twelve.name) - 2)
        self.assertEqual(number, self.twenty_one.name)
        for label, payer in (
            (f"MUELLER BAU GMBH {number}", ""),
            (number, "Müller Bau GmbH"),
        ):
            line = self.match(
                self.make_line(
                    self.twelve.amount_total, label=label, partner_name=payer
                )
            )
            # the amount is the 12th invoice's, of the customer named: it
            # wins over the number as typed (the 21st, of Rossi)
            self.assert_paid_by(line, self.twelve)
            self.assertEqual(self.twenty_one.payment_state, "not_paid")
            line.action_otc_undo()
