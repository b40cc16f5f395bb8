from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import OtcCreditCommon


class OtcReturnCommon(OtcCreditCommon):
    """A storable product with stock, an order delivered through a real
    picking and invoiced, and helpers to walk a return through its steps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.otc_return_window_days = 30
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.goods = cls.env["product.product"].create(
            {
                "name": "Return Widget",
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
                "property_account_income_id": cls.company_data[
                    "default_account_revenue"
                ].id,
            }
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.goods, cls.warehouse.lot_stock_id, 100
        )
        cls.stock_user = new_test_user(
            cls.env,
            "otc_stock_user",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.reason_defective = cls.env.ref(
            "otc_order_to_cash.otc_return_reason_defective"
        )
        cls.reason_wrong = cls.env.ref("otc_order_to_cash.otc_return_reason_wrong_item")
        cls.reason_not_needed = cls.env.ref(
            "otc_order_to_cash.otc_return_reason_not_needed"
        )
        cls.reason_damaged = cls.env.ref("otc_order_to_cash.otc_return_reason_damaged")

    def sell(
        self,
        product=None,
        qty=5.0,
        price=100.0,
        pricelist=None,
        deliver=True,
        invoice=True,
    ):
        product = product or self.goods
        vals = {
            "partner_id": self.contact.id,
            "user_id": self.salesman.id,
            "company_id": self.company.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                        "tax_id": [Command.clear()],
                    }
                )
            ],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        order = self.env["sale.order"].create(vals)
        order.action_confirm()
        if deliver and order.picking_ids:
            self.validate(order.picking_ids)
        if invoice:
            order._create_invoices().action_post()
        return order

    def validate(self, picking, qty=None, backorder=True, lots=None):
        for move in picking.move_ids:
            if lots:
                move.move_line_ids.unlink()
                for lot in lots:
                    self.env["stock.move.line"].create(
                        {
                            "move_id": move.id,
                            "picking_id": picking.id,
                            "product_id": move.product_id.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": move.location_id.id,
                            "location_dest_id": move.location_dest_id.id,
                        }
                    )
            else:
                move.quantity = move.product_uom_qty if qty is None else qty
            move.picked = True
        res = picking.button_validate()
        if (
            isinstance(res, dict)
            and res.get("res_model") == "stock.backorder.confirmation"
        ):
            wizard = Form(
                self.env["stock.backorder.confirmation"].with_context(**res["context"])
            ).save()
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking

    def new_return(self, order, qty=None, reason=None, user=None, **ctx):
        user = user or self.salesman
        env = self.env(user=user)
        form = Form(
            env["otc.return"].with_context(default_sale_order_id=order.id, **ctx)
        )
        if reason:
            form.reason_id = reason
        if qty is not None or reason:
            with form.line_ids.edit(0) as line:
                if qty is not None:
                    line.quantity = qty
                if reason:
                    line.reason_id = reason
        # the steps below say who does them
        return form.save().with_env(self.env)

    def refuse(self, ret, reason, user=None):
        """Refuse through the wizard the Refuse button opens."""
        action = ret.with_user(user or self.clerk).action_refuse()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(user or self.clerk)
            .with_context(**action["context"])
        )
        wizard.reason = reason
        wizard.save().action_refuse()

    def receive(self, ret, qty=None, backorder=True):
        picking = ret.return_picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        self.validate(picking.with_user(self.stock_user), qty=qty, backorder=backorder)
        return picking


@tagged("post_install", "-at_install")
class TestReturnFlow(OtcReturnCommon):
    def test_full_return_received_credited_and_settled(self):
        order = self.sell(qty=5)
        invoice = order.invoice_ids
        sol = order.order_line
        self.assertEqual(sol.qty_delivered, 5)

        ret = self.new_return(order, qty=3, reason=self.reason_defective)
        self.assertEqual(ret.partner_id, self.customer)
        self.assertEqual(ret.line_ids.sale_line_id, sol)
        ret.with_user(self.salesman).action_request()
        self.assertEqual(ret.state, "requested")
        self.assertFalse(ret.outside_window)
        # A salesperson requests but does not approve.
        with self.assertRaises(AccessError):
            ret.with_user(self.salesman).action_approve()
        with self.assertRaises(AccessError):
            ret.with_user(self.salesman).write({"state": "approved"})
        ret.with_user(self.clerk).action_approve()
        self.assertEqual(ret.state, "approved")
        picking = ret.return_picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.picking_type_code, "incoming")
        self.assertEqual(picking.move_ids.product_uom_qty, 3)
        self.assertTrue(
            picking.move_ids.to_refund, "updates the order's delivered quantity"
        )
        delivery = order.picking_ids - picking
        self.assertEqual(picking.move_ids.origin_returned_move_id, delivery.move_ids)
        self.assertEqual(picking.move_ids.otc_return_line_id, ret.line_ids)
        # Credit on receipt: nothing to credit before the goods are back.
        self.assertFalse(ret.can_credit)
        self.assertIn(self.customer, ret.message_ids[0].partner_ids)

        self.receive(ret)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.line_ids.qty_received, 3)
        self.assertEqual(sol.qty_delivered, 2)
        self.assertTrue(ret.activity_ids, "defective goods are inspected")

        credit_note = ret.with_user(self.clerk).action_credit()
        self.assertEqual(ret.state, "credited")
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertEqual(credit_note.otc_return_id, ret)
        self.assertAlmostEqual(credit_note.amount_total, 300)
        self.assertEqual(ret.line_ids.qty_credited, 3)
        self.assertAlmostEqual(ret.amount_credited, 300)
        self.assertEqual(sol.qty_invoiced, 2)
        self.assertEqual(sol.qty_to_invoice, 0)
        # The invoice was open: the credit note settles it for its part.
        self.assertAlmostEqual(invoice.amount_residual, 200)
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertFalse(ret.can_credit)
        with self.assertRaises(UserError):
            ret.with_user(self.clerk).action_credit()
        ret.action_done()
        self.assertEqual(ret.state, "done")

    def test_partial_receipt_in_two_parts(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=4, reason=self.reason_defective)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.receive(ret, qty=1)
        self.assertEqual(ret.state, "received")
        self.assertEqual(ret.line_ids.qty_received, 1)
        self.assertEqual(
            len(ret.return_picking_ids), 2, "the backorder stays on the return"
        )
        first = ret.with_user(self.clerk).action_credit()
        self.assertAlmostEqual(first.amount_total, 100)
        # The rest is still open: the return cannot be cancelled any more.
        with self.assertRaises(UserError):
            ret.action_cancel()
        self.receive(ret)
        self.assertEqual(ret.line_ids.qty_received, 4)
        self.assertEqual(order.order_line.qty_delivered, 1)
        self.assertTrue(ret.can_credit)
        second = ret.with_user(self.clerk).action_credit()
        self.assertAlmostEqual(second.amount_total, 300)
        self.assertEqual(ret.credit_note_ids, first | second)
        self.assertEqual(ret.line_ids.qty_credited, 4)

    def test_quantity_capped_by_delivered_and_open_returns(self):
        order = self.sell(qty=5)
        too_many = self.new_return(order, qty=6)
        with self.assertRaises(ValidationError):
            too_many.action_request()
        self.assertEqual(too_many.state, "draft", "nothing half-written")
        first = self.new_return(order, qty=3)
        first.action_request()
        # The open request counts: only 2 are left.
        second = self.new_return(order)
        self.assertEqual(second.line_ids.quantity, 2, "proposed: what is left")
        second.line_ids.quantity = 3
        with self.assertRaises(ValidationError):
            second.action_request()
        second.line_ids.quantity = 2
        second.action_request()
        # Once received, the first return is in the delivered quantity instead.
        first.with_user(self.clerk).action_approve()
        self.receive(first)
        third = self.new_return(order)
        self.assertFalse(third.line_ids, "nothing left to return")
        # A refused request frees its quantity again.
        second.with_user(self.clerk)._otc_refuse("Not our product")
        fourth = self.new_return(order)
        self.assertEqual(fourth.line_ids.quantity, 2)

    def test_not_yet_delivered_cannot_be_returned(self):
        order = self.sell(qty=5, deliver=False, invoice=False)
        ret = self.env["otc.return"].create(
            {
                "sale_order_id": order.id,
                "line_ids": [
                    Command.create(
                        {
                            "sale_line_id": order.order_line.id,
                            "quantity": 1,
                            "reason_id": self.reason_defective.id,
                        }
                    )
                ],
            }
        )
        with self.assertRaises(ValidationError):
            ret.action_request()

    def test_line_of_another_order_refused(self):
        order = self.sell(qty=5)
        other = self.sell(qty=2)
        with self.assertRaises(UserError):
            self.env["otc.return"].create(
                {
                    "sale_order_id": order.id,
                    "line_ids": [
                        Command.create(
                            {
                                "sale_line_id": other.order_line.id,
                                "quantity": 1,
                                "reason_id": self.reason_defective.id,
                            }
                        )
                    ],
                }
            )

    def test_serial_tracked_product(self):
        serial = self.env["product.product"].create(
            {
                "name": "Serial Widget",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        lots = self.env["stock.lot"].create(
            [
                {
                    "name": f"SN-{i}",
                    "product_id": serial.id,
                    "company_id": self.company.id,
                }
                for i in (1, 2)
            ]
        )
        for lot in lots:
            self.env["stock.quant"]._update_available_quantity(
                serial, self.warehouse.lot_stock_id, 1, lot_id=lot
            )
        order = self.sell(product=serial, qty=2, deliver=False, invoice=False)
        self.validate(order.picking_ids, lots=lots)
        order._create_invoices().action_post()
        ret = self.new_return(order, qty=1, reason=self.reason_wrong)
        ret.line_ids.lot_id = lots[1]
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        move = ret.return_picking_ids.move_ids
        self.assertEqual(move.move_line_ids.lot_id, lots[1])
        self.receive(ret)
        quant = self.env["stock.quant"]._gather(
            serial, self.warehouse.lot_stock_id, lot_id=lots[1]
        )
        self.assertEqual(sum(quant.mapped("quantity")), 1, "SN-2 is back in stock")
        lot_of_other = self.env["stock.lot"].create(
            {
                "name": "OTHER",
                "product_id": self.goods.id,
                "company_id": self.company.id,
            }
        )
        bad = self.new_return(order, qty=1, reason=self.reason_wrong)
        bad.line_ids.lot_id = lot_of_other
        with self.assertRaises(ValidationError):
            bad.action_request()

    def test_window_needs_credit_manager(self):
        order = self.sell(qty=5)
        order.picking_ids.move_ids.date = fields.Datetime.now() - timedelta(days=40)
        ret = self.new_return(order, qty=1)
        ret.action_request()
        self.assertTrue(ret.outside_window)
        with self.assertRaises(AccessError):
            ret.with_user(self.clerk).action_approve()
        self.assertEqual(ret.state, "requested")
        ret.with_user(self.credit_manager).action_approve()
        self.assertEqual(ret.state, "approved")

        # A category with a longer window of its own.
        self.goods.categ_id.otc_return_window_days = 60
        late = self.new_return(order, qty=1)
        late.action_request()
        self.assertFalse(late.outside_window)
        late.with_user(self.clerk).action_approve()

    def test_restocking_fee_on_its_own_line(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=3, reason=self.reason_not_needed)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.receive(ret)
        credit_note = ret.with_user(self.clerk).action_credit()
        fee = credit_note.invoice_line_ids.filtered(lambda aml: not aml.product_id)
        self.assertEqual(len(fee), 1)
        self.assertAlmostEqual(fee.price_subtotal, -45, msg="15 % of 300")
        self.assertAlmostEqual(credit_note.amount_total, 255)

    def test_goods_kept_credited_on_approval_without_picking(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.assertFalse(ret.return_picking_ids)
        self.assertTrue(ret.can_credit)
        credit_note = ret.with_user(self.clerk).action_credit()
        self.assertAlmostEqual(credit_note.amount_total, 200)
        # Kept goods stay delivered, but count against what may be returned.
        self.assertEqual(order.order_line.qty_delivered, 5)
        again = self.new_return(order)
        self.assertEqual(again.line_ids.quantity, 3)

    def test_wrong_item_credited_on_approval_before_receipt(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2, reason=self.reason_wrong)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.assertTrue(ret.return_picking_ids)
        self.assertTrue(ret.can_credit)
        ret.with_user(self.clerk).action_credit()
        self.assertEqual(ret.state, "credited")
        self.receive(ret)
        self.assertEqual(ret.state, "credited")
        self.assertFalse(ret.can_credit)

    def test_service_return_without_picking(self):
        order = self.sell(product=self.product, qty=2, price=50.0)
        ret = self.new_return(order, qty=1, reason=self.reason_defective)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.assertFalse(ret.return_picking_ids, "a service does not come back")
        self.assertAlmostEqual(
            ret.with_user(self.clerk).action_credit().amount_total, 50
        )

    def test_refused_with_reason_for_the_customer(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1)
        ret.action_request()
        self.refuse(ret, "Used beyond normal wear")
        self.assertEqual(ret.state, "refused")
        self.assertEqual(ret.refuse_reason, "Used beyond normal wear")
        message = ret.message_ids.filtered(
            lambda m: "Used beyond normal wear" in (m.body or "")
        )
        self.assertIn(self.customer, message.partner_ids)
        with self.assertRaises(UserError):
            ret.with_user(self.clerk)._otc_refuse("again")

    def test_cancel_while_nothing_received(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        picking = ret.return_picking_ids
        ret.action_cancel()
        self.assertEqual(ret.state, "cancel")
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(self.new_return(order).line_ids.quantity, 5)

    def test_paid_invoice_credit_stays_as_customer_credit(self):
        order = self.sell(qty=5)
        invoice = order.invoice_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        ret = self.new_return(order, qty=1, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        credit_note = ret.with_user(self.clerk).action_credit()
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertAlmostEqual(credit_note.amount_residual, 100)

    def test_foreign_currency_invoice(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id}
        )
        order = self.sell(qty=5, price=80.0, pricelist=pricelist)
        ret = self.new_return(order, qty=1, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        credit_note = ret.with_user(self.clerk).action_credit()
        self.assertEqual(credit_note.currency_id, eur)
        self.assertAlmostEqual(credit_note.amount_total, 80)
        self.assertAlmostEqual(ret.amount_credited, 40, msg="company currency")

    def test_returns_analysis(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2, reason=self.reason_not_needed)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.receive(ret, qty=1)
        ret.with_user(self.clerk).action_credit()
        self.receive(ret)
        ret.with_user(self.clerk).action_credit()
        self.assertEqual(ret.days_to_credit, 0)
        groups = self.env["otc.return.line"].read_group(
            [("return_id", "=", ret.id)],
            ["quantity:sum", "qty_received:sum", "amount_credited:sum"],
            ["reason_id", "salesperson_id", "partner_id"],
            lazy=False,
        )
        self.assertEqual(len(groups), 1)
        group = groups[0]
        self.assertEqual(group["reason_id"][0], self.reason_not_needed.id)
        self.assertEqual(group["salesperson_id"][0], self.salesman.id)
        self.assertEqual(group["partner_id"][0], self.customer.id)
        self.assertEqual(group["qty_received"], 2)
        self.assertAlmostEqual(group["amount_credited"], 200, msg="before the fee")

    def test_return_rate_against_deliveries(self):
        # 5 delivered, 2 asked back and received (the order line now shows 3
        # delivered): the rate is 40 %, per product, customer and month
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2, reason=self.reason_not_needed)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.receive(ret)
        ret.with_user(self.clerk).action_credit()
        self.assertEqual(order.order_line.qty_delivered, 3)
        Analysis = self.env["otc.return.analysis"].with_user(self.clerk)
        domain = [("product_id", "=", self.goods.id)]
        for groupby in ("product_id", "partner_id", "salesperson_id", "date:month"):
            [(_key, delivered, returned, rate, credited)] = Analysis._read_group(
                domain,
                [groupby],
                [
                    "qty_delivered:sum",
                    "qty_returned:sum",
                    "return_rate:sum",
                    "amount_credited:sum",
                ],
            )
            self.assertEqual((delivered, returned), (5, 2), groupby)
            self.assertAlmostEqual(float(rate), 40.0, msg=groupby)
            self.assertAlmostEqual(credited, 200)
        # by reason: what came back for it (deliveries have no reason)
        by_reason = dict(
            Analysis._read_group(domain, ["reason_id"], ["qty_returned:sum"])
        )
        self.assertEqual(by_reason[self.reason_not_needed], 2)
        # the pivot view reads it the same way
        groups = Analysis.read_group(
            domain, ["return_rate:sum"], ["product_id"], lazy=False
        )
        self.assertAlmostEqual(float(groups[0]["return_rate"]), 40.0)
        with self.assertRaises(AccessError):
            self.env["otc.return.analysis"].with_user(self.salesman).search([])

    def test_buttons_on_delivery_and_invoice(self):
        order = self.sell(qty=5)
        action = order.picking_ids.with_user(self.salesman).action_otc_create_return()
        ret = Form(
            self.env["otc.return"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        ).save()
        self.assertEqual(ret.picking_id, order.picking_ids)
        self.assertEqual(ret.line_ids.quantity, 5)
        action = order.invoice_ids.action_otc_create_return()
        ret = Form(self.env["otc.return"].with_context(**action["context"])).save()
        self.assertEqual(ret.invoice_id, order.invoice_ids)
        self.assertEqual(ret.sale_order_id, order)
        action = order.action_otc_create_return()
        self.assertEqual(action["context"]["default_sale_order_id"], order.id)
        self.assertEqual(order.otc_return_count, 2)


@tagged("post_install", "-at_install")
class TestReturnSecurity(OtcReturnCommon):
    def test_multi_company(self):
        other = self.setup_other_company(name="Returns Other Co")
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1)
        outsider = new_test_user(
            self.env,
            "otc_other_clerk",
            groups="otc_order_to_cash.group_otc_ar_clerk",
            company_id=other["company"].id,
            company_ids=[Command.set(other["company"].ids)],
        )
        self.assertFalse(
            self.env["otc.return"].with_user(outsider).search([("id", "=", ret.id)])
        )
        with self.assertRaises(AccessError):
            ret.with_user(outsider).read(["name"])

    def test_salesperson_sees_own_orders_returns(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1, user=self.env.user)
        other_sales = new_test_user(
            self.env,
            "otc_other_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertEqual(
            self.env["otc.return"].with_user(self.salesman).search([]), ret
        )
        self.assertFalse(self.env["otc.return"].with_user(other_sales).search([]))

    def test_only_invoicing_users_credit(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        with self.assertRaises(AccessError):
            ret.with_user(self.salesman).action_credit()
        self.assertFalse(ret.credit_note_ids)

    def test_approved_return_lines_locked(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        with self.assertRaises(UserError):
            ret.with_user(self.salesman).write(
                {"line_ids": [Command.update(ret.line_ids.id, {"quantity": 5})]}
            )
