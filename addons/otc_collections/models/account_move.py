from odoo import api, fields, models

from odoo.addons.otc_order_to_cash.models.res_partner import INTERNAL_GROUPS


class AccountMove(models.Model):
    _inherit = "account.move"

    otc_dispute_ids = fields.One2many(
        "otc.dispute",
        "move_id",
        string="Disputes",
        groups=INTERNAL_GROUPS,
    )
    otc_disputed_amount = fields.Monetary(
        string="Disputed Amount",
        compute="_compute_otc_disputed_amount",
        help="Amount under open dispute.",
        groups=INTERNAL_GROUPS,
    )
    otc_dispute_count = fields.Integer(
        compute="_compute_otc_disputed_amount",
        groups=INTERNAL_GROUPS,
    )
    otc_predicted_date = fields.Date(
        string="Predicted Payment",
        compute="_compute_otc_predicted_date",
        groups="otc_order_to_cash.group_otc_ar_clerk",
        help="When the invoice is expected to be paid (daily prediction from the "
        "customer's payment pattern, its promises and disputes).",
    )

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        # posting, resetting or cancelling a customer invoice or credit note
        # changes the credit sales of its month: what it counted before is
        # taken off the monthly summary, what it counts after added
        sales = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        Month = self.env["otc.receivable.month"]
        Month._otc_append_sales(sales, -1)
        result = super().write(vals)
        Month._otc_append_sales(sales, 1)
        return result

    def _compute_otc_predicted_date(self):
        predictions = (
            self.env["otc.payment.prediction"]
            .sudo()
            .search_fetch([("move_id", "in", self.ids)], ["move_id", "predicted_date"])
        )
        by_move = {p.move_id.id: p.predicted_date for p in predictions}
        for move in self:
            move.otc_predicted_date = by_move.get(move.id, False)

    @api.depends("otc_dispute_ids.state", "otc_dispute_ids.disputed_amount")
    def _compute_otc_disputed_amount(self):
        data = self.env["otc.dispute"]._read_group(
            [("move_id", "in", self.ids), ("state", "=", "open")],
            ["move_id"],
            ["disputed_amount:sum", "__count"],
        )
        by_move = {move.id: (amount, count) for move, amount, count in data}
        for move in self:
            move.otc_disputed_amount, move.otc_dispute_count = by_move.get(
                move.id, (0.0, 0)
            )

    def action_otc_open_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "otc_collections.otc_dispute_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {
            "default_move_id": self.id,
            "search_default_filter_open": 0,
        }
        return action

    def action_otc_dispute(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open a Dispute"),
            "res_model": "otc.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_move_id": self.id,
                "default_disputed_amount": self.amount_residual,
            },
        }
