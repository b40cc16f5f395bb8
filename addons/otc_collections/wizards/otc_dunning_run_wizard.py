from odoo import fields, models


class OtcDunningRunWizard(models.TransientModel):
    _name = "otc.dunning.run.wizard"
    _description = "Run Dunning"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    line_ids = fields.One2many(
        "otc.dunning.run.wizard.line", "wizard_id", readonly=True
    )
    previewed = fields.Boolean(readonly=True)

    def _run_record(self):
        return self.env["otc.dunning.run"].new(
            {"company_id": self.company_id.id, "date": self.date}
        )

    def action_preview(self):
        self.ensure_one()
        results = self._run_record()._preview()
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "partner_id": customer,
                    "level": result.level,
                    "overdue_total": result.overdue_total,
                    "net_due": result.net_due,
                    "fee_amount": result.fee_amount,
                    "interest_total": result.interest_total,
                    "item_count": len(result.lines),
                    "channels": ", ".join(result.channels),
                    "credit_hold": result.credit_hold,
                }
            )
            for customer, (_policy, result) in results.items()
            if result.moved
        ]
        self.previewed = True
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_run(self):
        self.ensure_one()
        run = self.env["otc.dunning.run"].create(
            {"company_id": self.company_id.id, "date": self.date}
        )
        run._run()
        return {
            "type": "ir.actions.act_window",
            "res_model": "otc.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
        }
