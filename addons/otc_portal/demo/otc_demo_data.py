"""Demo data of this addon, made in Python (run from its demo data file)."""

from odoo import api, fields, models


class OtcDemoData(models.AbstractModel):
    _inherit = "otc.demo.data"

    @api.model
    def _create_portal_demo(self):
        """Portal users of two demo customers (see the README): Lakeside Foods
        (overdue invoices, a dispute and a promise made on the portal) and
        Pinecrest Hotels (an order under credit review)."""
        company = self.env.ref("base.main_company")
        Partner = self.env["res.partner"]
        lakeside = Partner.search([("name", "=", "Lakeside Foods (overdue)")], limit=1)
        pinecrest = Partner.search(
            [("name", "=", "Pinecrest Hotels (pending approval)")], limit=1
        )
        if not lakeside or not pinecrest:
            return
        portal = self.env.ref("base.group_portal")
        Users = self.env["res.users"].with_context(no_reset_password=True)
        contacts = {}
        for customer, name, login in (
            (lakeside, "Laura Lake", "lakeside.portal"),
            (pinecrest, "Paul Pine", "pinecrest.portal"),
        ):
            contact = Partner.create(
                {
                    "name": name,
                    "parent_id": customer.id,
                    "email": f"{login}@example.com",
                }
            )
            Users.create(
                {
                    "login": login,
                    "password": login,
                    "partner_id": contact.id,
                    "company_id": company.id,
                    "company_ids": [fields.Command.set(company.ids)],
                    "groups_id": [fields.Command.set(portal.ids)],
                }
            )
            contacts[customer] = contact
        # The order waiting for credit approval was sent to Pinecrest's buyer,
        # who follows it (Odoo's portal shows orders to their followers).
        self.env["sale.order"].search(
            [("partner_id", "=", pinecrest.id), ("otc_credit_state", "=", "pending")]
        ).message_subscribe(partner_ids=contacts[pinecrest].ids)
        oldest = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", lakeside.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", company.id),
                ("otc_dispute_ids", "=", False),
            ],
            order="invoice_date_due",
            limit=1,
        )
        if oldest:
            self.env["otc.promise"].create(
                {
                    "partner_id": lakeside.id,
                    "company_id": company.id,
                    "move_ids": [fields.Command.set(oldest.ids)],
                    "promise_date": fields.Date.add(
                        fields.Date.context_today(self), days=10
                    ),
                    "amount": round(oldest.amount_residual / 2, 2),
                    "collector_id": company.otc_default_collector_id.id or self.env.uid,
                    "source": "portal",
                }
            )

    @api.model
    def _create_portal_returns_demo(self):
        """A portal user for the returns' demo customer (Riverside
        Outfitters): its returns in several states show on the portal, and
        its order still has chairs to return."""
        company = self.env.ref("base.main_company")
        Partner = self.env["res.partner"]
        riverside = Partner.search(
            [("name", "=", "Riverside Outfitters (returns)")], limit=1
        )
        if not riverside:
            return
        contact = Partner.create(
            {
                "name": "Rita River",
                "parent_id": riverside.id,
                "email": "riverside.portal@example.com",
            }
        )
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "login": "riverside.portal",
                "password": "riverside.portal",
                "partner_id": contact.id,
                "company_id": company.id,
                "company_ids": [fields.Command.set(company.ids)],
                "groups_id": [
                    fields.Command.set(self.env.ref("base.group_portal").ids)
                ],
            }
        )
