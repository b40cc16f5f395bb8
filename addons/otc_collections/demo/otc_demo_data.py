"""Demo data of this addon, made in Python (run from its demo data file)."""

from odoo import api, fields, models


class OtcDemoData(models.AbstractModel):
    _inherit = "otc.demo.data"

    @api.model
    def _create_collections_demo(self):
        """A dispute, a promise to pay and a prepared dunning run on the demo
        customers of otc_order_to_cash (when the company has its demo invoices)."""
        company = self.env.ref("base.main_company")
        Move = self.env["account.move"].with_company(company)
        invoices = Move.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("company_id", "=", company.id),
                ("partner_id.name", "ilike", "(overdue)"),
            ],
            order="invoice_date_due",
        )
        if not invoices:
            return
        collector = self.env.ref("otc_order_to_cash.otc_demo_user_credit_manager")
        company.otc_default_collector_id = collector
        self.env["otc.dispute"].create(
            {
                "move_id": invoices[-1].id,
                "disputed_amount": round(invoices[-1].amount_residual / 2, 2),
                "reason_id": self.env.ref(
                    "otc_collections.otc_dispute_reason_price"
                ).id,
                "owner_id": collector.id,
            }
        )
        near = Move.search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", company.id),
                ("partner_id.name", "ilike", "(near limit)"),
            ],
            limit=1,
        )
        if near:
            self.env["otc.promise"].create(
                {
                    "partner_id": near.commercial_partner_id.id,
                    "company_id": company.id,
                    "move_ids": [fields.Command.set(near.ids)],
                    "promise_date": fields.Date.add(
                        fields.Date.context_today(self), days=7
                    ),
                    "amount": near.amount_residual,
                    "collector_id": collector.id,
                    "note": "Customer promised a transfer next week.",
                }
            )
        self.env["otc.dunning.run"].create({"company_id": company.id})._run()
        self.env["otc.worklist"]._refresh(company)
