"""Demo data of the suite, made in Python (run from the demo data files).

Invoices need the company's chart of accounts, which demo XML cannot rely
on; each generator's docstring says what it makes.
"""

from odoo import Command, api, fields, models


class OtcDemoData(models.AbstractModel):
    _name = "otc.demo.data"
    _description = "Order-to-Cash Demo Data"

    @api.model
    def _create_credit_demo(self):
        """Demo customers in each credit situation, for the main company.

        Written in Python because invoices and orders need the company's chart
        of accounts, which demo XML cannot rely on.
        """
        company = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        if not env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        ):
            return
        company.otc_credit_manager_id = env.ref(
            "otc_order_to_cash.otc_demo_user_credit_manager"
        )
        # the demo company has chosen to block (installing only warns)
        company.otc_default_credit_policy = "block"
        product = env["product.product"].create(
            {
                "name": "Credit Demo Service",
                "type": "service",
                "list_price": 1000.0,
                "invoice_policy": "order",
                "taxes_id": [fields.Command.clear()],
            }
        )
        today = fields.Date.context_today(self)
        Date = fields.Date

        def customer(name, limit, **vals):
            partner = env["res.partner"].create(
                {
                    "name": name,
                    "is_company": True,
                    "email": f"{name.split()[0].lower()}@example.com",
                }
            )
            partner.with_company(company).write(dict(vals, credit_limit=limit))
            return partner

        def invoice(partner, amount, days_ago=0):
            invoice_date = Date.subtract(today, days=days_ago)
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": Date.add(invoice_date, days=30),
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": product.id,
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
            move.action_post()
            return move

        def order(partner, amount):
            return env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [
                        fields.Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [],
                            }
                        )
                    ],
                }
            )

        low = env.ref("otc_order_to_cash.otc_risk_category_low")
        medium = env.ref("otc_order_to_cash.otc_risk_category_medium")
        high = env.ref("otc_order_to_cash.otc_risk_category_high")

        within = customer(
            "Greenfield Retail (within limit)", 50000, otc_risk_category_id=low.id
        )
        invoice(within, 5000, days_ago=5)
        order(within, 2000).action_confirm()

        near = customer(
            "Northwind Traders (near limit)",
            10000,
            otc_risk_category_id=medium.id,
            otc_credit_review_date=Date.add(today, days=10),
        )
        invoice(near, 6000, days_ago=10)
        invoice(near, 2500, days_ago=3)

        over = customer(
            "Oakridge Builders (over limit)", 5000, otc_risk_category_id=high.id
        )
        invoice(over, 4000, days_ago=12)
        order(over, 3000).with_context(otc_skip_credit_check=True).action_confirm()

        held = customer(
            "Harbor Logistics (on hold)", 20000, otc_risk_category_id=high.id
        )
        invoice(held, 1500, days_ago=20)
        held.with_company(company)._otc_set_hold("Cheque returned unpaid")

        late = customer(
            "Lakeside Foods (overdue)",
            30000,
            otc_credit_policy="warn",
            otc_risk_category_id=medium.id,
            otc_credit_review_date=Date.subtract(today, days=2),
        )
        invoice(late, 3200, days_ago=105)
        invoice(late, 1800, days_ago=15)

        pending = customer(
            "Pinecrest Hotels (pending approval)",
            2000,
            otc_credit_policy="approval",
            otc_risk_category_id=medium.id,
        )
        invoice(pending, 1200, days_ago=8)
        order(pending, 5000).action_confirm()
        return True

    @api.model
    def _create_cash_demo(self):
        """Demo customers, invoices and one bank statement to apply.

        Written in Python because invoices need the company's chart of
        accounts, which demo XML cannot rely on. The statement shows each case:
        references (exact, mistyped), a known payer account, a payer name, a
        bank fee, several invoices in one payment, a partial payment and a line
        that pays no invoice; matching then reconciles some and suggests the
        rest.
        """
        company = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        sale = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal.suspense_account_id or not sale:
            return
        # the demo runs before the post_init_hook that gives it to every company
        company._otc_ensure_cash_writeoff_account()
        Partner = env["res.partner"]
        mueller = Partner.create(
            {
                "name": "Müller Bau GmbH",
                "is_company": True,
                "email": "ap@mueller-bau.example.com",
            }
        )
        rossi = Partner.create(
            {
                "name": "Rossi Trasporti S.p.A.",
                "is_company": True,
                "email": "amministrazione@rossi.example.com",
            }
        )
        dupont = Partner.create(
            {
                "name": "Dupont Frères SARL",
                "is_company": True,
                "email": "compta@dupont.example.com",
            }
        )
        env["res.partner.bank"].create(
            {"acc_number": "DE89370400440532013000", "partner_id": mueller.id}
        )
        today = fields.Date.context_today(self)

        def invoice(partner, amount, days_ago):
            date = fields.Date.subtract(today, days=days_ago)
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": sale.id,
                    "invoice_date": date,
                    "invoice_date_due": fields.Date.add(date, days=30),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Transport and site services",
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
            move.action_post()
            return move

        m1, m2, m3 = (
            invoice(mueller, a, d) for a, d in ((1850.0, 45), (420.0, 30), (2975.5, 12))
        )
        r1, r2, r3 = (
            invoice(rossi, a, d) for a, d in ((640.0, 40), (1210.0, 35), (388.9, 20))
        )
        d1, _d2 = (invoice(dupont, a, d) for a, d in ((5200.0, 25), (760.0, 10)))
        typo = d1.name.replace("/", "")
        statement = env["account.bank.statement"].create(
            {"name": "Demo statement (cash application)", "journal_id": journal.id}
        )
        lines = [
            (
                1850.0,
                f"SEPA CT {m1.name}",
                "MUELLER BAU GMBH",
                "DE89370400440532013000",
            ),
            (420.0, "SEPA CT payment", "MUELLER BAU", "DE89370400440532013000"),
            (1206.5, f"RG {r2.name}", "ROSSI TRASPORTI SPA", ""),
            (1028.9, f"Fatture {r1.name} {r3.name}", "Rossi Trasporti", ""),
            (5200.0, f"VIR {typo}", "DUPONT FRERES", ""),
            (300.0, "Acompte", "DUPONT FRERES SARL", ""),
            (99.0, "Interest Q3", "Some Bank AG", ""),
        ]
        self.env["account.bank.statement.line"].with_context(
            allowed_company_ids=[company.id]
        ).create(
            [
                {
                    "statement_id": statement.id,
                    "journal_id": journal.id,
                    "date": today,
                    "amount": amount,
                    "payment_ref": label,
                    "partner_name": payer,
                    "account_number": account or False,
                }
                for amount, label, payer, account in lines
            ]
        )
        statement.line_ids.with_company(company)._otc_match_lines()

    @api.model
    def _create_returns_demo(self):
        """Returns in several states on a delivered and invoiced order.

        Written in Python because they need real deliveries and invoices (the
        company's warehouse and chart of accounts)."""
        company = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        if not warehouse or not env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        ):
            return
        product = env["product.product"].create(
            {
                "name": "Returnable Demo Chair",
                "type": "consu",
                "is_storable": True,
                "list_price": 120.0,
                "invoice_policy": "delivery",
                "taxes_id": [Command.clear()],
            }
        )
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 50
        )
        customer = env["res.partner"].create(
            {
                "name": "Riverside Outfitters (returns)",
                "is_company": True,
                "email": "riverside@example.com",
            }
        )
        order = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_uom_qty": 10, "tax_id": []}
                    )
                ],
            }
        )
        order.action_confirm()
        delivery = order.picking_ids
        delivery.move_ids.write({"quantity": 10, "picked": True})
        delivery._action_done()
        order._create_invoices().action_post()
        line = order.order_line

        def make(qty, reason_xmlid, note):
            return env["otc.return"].create(
                {
                    "sale_order_id": order.id,
                    "customer_note": note,
                    "line_ids": [
                        Command.create(
                            {
                                "sale_line_id": line.id,
                                "quantity": qty,
                                "reason_id": env.ref(reason_xmlid).id,
                            }
                        )
                    ],
                }
            )

        prefix = "otc_order_to_cash.otc_return_reason_"
        make(1, prefix + "not_needed", "We ordered one too many.")
        make(1, prefix + "defective", "One leg is cracked.").action_request()
        refused = make(1, prefix + "not_needed", "Changed our mind.")
        refused.action_request()
        refused._otc_refuse("Custom colour: not returnable.")
        approved = make(2, prefix + "wrong_item", "Blue instead of green.")
        approved.action_request()
        approved.action_approve()
        received = make(2, prefix + "defective", "Wobbly seats.")
        received.action_request()
        received.action_approve()
        receipt = received.return_picking_ids
        receipt.move_ids.write({"quantity": 2, "picked": True})
        receipt._action_done()
        received.action_credit()
        kept = make(1, prefix + "damaged", "Crushed in transit, photo attached.")
        kept.action_request()
        kept.action_approve()
        kept.action_credit()
        kept.action_done()
