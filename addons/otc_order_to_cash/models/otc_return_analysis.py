from odoo import api, fields, models, tools
from odoo.tools import SQL


class OtcReturnAnalysis(models.Model):
    """Returns against deliveries: the return rate by any dimension.

    A read-only SQL view of two kinds of rows: what was delivered (one row
    per sale order line with a delivered quantity, dated by the order) and
    what was asked back (one row per requested return line, dated by the
    request, with its reason, received and credited figures). Summing both
    kinds over a product, a customer, a salesperson or a month gives the
    quantities delivered and returned side by side; the return rate is their
    ratio, computed per group in SQL (``_read_group_select``) rather than
    summed per row. Grouped by reason, a reason's row holds only what came
    back for it (deliveries have no reason): its rate is blank and its share
    of all returns is read from the quantities.
    """

    _name = "otc.return.analysis"
    _description = "Returns Analysis"
    _auto = False
    _order = "date desc, id"
    # what the view reads: flushed before it is (pending computations included)
    _depends = {
        "otc.return.line": [
            "return_id",
            "sale_line_id",
            "product_id",
            "partner_id",
            "salesperson_id",
            "reason_id",
            "quantity",
            "qty_received",
            "amount_credited",
        ],
        "otc.return": [
            "state",
            "date_requested",
            "date_credited",
            "days_to_credit",
            "company_id",
            "sale_order_id",
            "refund_payment_ids",
        ],
        "account.payment": ["state", "amount_company_currency_signed"],
        "sale.order.line": [
            "order_id",
            "product_id",
            "qty_delivered",
            "product_uom_qty",
            "price_subtotal",
            "display_type",
        ],
        "sale.order": [
            "state",
            "date_order",
            "company_id",
            "partner_id",
            "user_id",
            "currency_rate",
        ],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id"],
        "res.partner": ["commercial_partner_id"],
    }

    kind = fields.Selection(
        [("delivered", "Delivered"), ("returned", "Returned")], readonly=True
    )
    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    salesperson_id = fields.Many2one("res.users", readonly=True)
    reason_id = fields.Many2one("otc.return.reason", readonly=True)
    return_id = fields.Many2one("otc.return", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    qty_delivered = fields.Float(digits="Product Unit of Measure", readonly=True)
    qty_returned = fields.Float(
        string="Qty Requested Back", digits="Product Unit of Measure", readonly=True
    )
    qty_received = fields.Float(
        string="Qty Received Back", digits="Product Unit of Measure", readonly=True
    )
    return_rate = fields.Float(
        string="Return Rate (%)",
        readonly=True,
        help="Quantity requested back over quantity delivered, per group.",
    )
    amount_delivered = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Untaxed value of the delivered quantities, in company currency.",
    )
    amount_credited = fields.Monetary(
        currency_field="company_currency_id", readonly=True
    )
    amount_refunded = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        help="Paid back to the customer for the return (its share of the "
        "return's refunds, by credited amount), in company currency.",
    )
    days_to_credit = fields.Float(
        string="Days to Credit", aggregator="avg", readonly=True
    )

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        # a ratio of sums, not a sum of per-row ratios
        if aggregate_spec.startswith("return_rate:"):
            returned = self._field_to_sql(self._table, "qty_returned", query)
            delivered = self._field_to_sql(self._table, "qty_delivered", query)
            return SQL(
                "ROUND((100.0 * SUM(%s) / NULLIF(SUM(%s), 0))::numeric, 2)",
                returned,
                delivered,
            )
        return super()._read_group_select(aggregate_spec, query)

    def _query(self):
        return SQL(
            """
            SELECT 2 * sol.id AS id, 'delivered' AS kind,
                   so.date_order::date AS date, so.company_id,
                   sol.product_id, tmpl.categ_id,
                   COALESCE(cust.commercial_partner_id, cust.id) AS partner_id,
                   so.user_id AS salesperson_id, NULL::int AS reason_id,
                   NULL::int AS return_id, so.id AS order_id,
                   sol.qty_delivered + back.qty AS qty_delivered,
                   0.0 AS qty_returned, 0.0 AS qty_received,
                   NULL::float8 AS return_rate,
                   CASE WHEN sol.product_uom_qty > 0
                        THEN sol.price_subtotal * (sol.qty_delivered + back.qty)
                             / sol.product_uom_qty
                             / COALESCE(NULLIF(so.currency_rate, 0), 1.0)
                        ELSE 0 END AS amount_delivered,
                   0.0 AS amount_credited, 0.0 AS amount_refunded,
                   NULL::float8 AS days_to_credit
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner cust ON cust.id = so.partner_id
              JOIN product_product prod ON prod.id = sol.product_id
              JOIN product_template tmpl ON tmpl.id = prod.product_tmpl_id
              -- goods received back lowered the order line's delivered
              -- quantity (Odoo's "update quantities" returns): what was
              -- delivered is what the line shows plus what came back
              CROSS JOIN LATERAL (
                  SELECT COALESCE(SUM(rl.qty_received), 0) AS qty
                    FROM otc_return_line rl
                   WHERE rl.sale_line_id = sol.id
              ) back
             WHERE so.state = 'sale' AND sol.display_type IS NULL
               AND sol.qty_delivered + back.qty > 0
            UNION ALL
            SELECT 2 * rl.id + 1, 'returned', r.date_requested, r.company_id,
                   rl.product_id, tmpl.categ_id, rl.partner_id,
                   rl.salesperson_id, rl.reason_id, r.id, r.sale_order_id,
                   0.0, rl.quantity, rl.qty_received, NULL::float8,
                   0.0, rl.amount_credited,
                   CASE WHEN credited.amount > 0
                        THEN rl.amount_credited / credited.amount
                             * COALESCE(refunds.amount, 0)
                        ELSE 0 END,
                   CASE WHEN r.date_credited IS NOT NULL
                        THEN r.days_to_credit END
              FROM otc_return_line rl
              JOIN otc_return r ON r.id = rl.return_id
              JOIN product_product prod ON prod.id = rl.product_id
              JOIN product_template tmpl ON tmpl.id = prod.product_tmpl_id
              LEFT JOIN LATERAL (
                  SELECT SUM(other.amount_credited) AS amount
                    FROM otc_return_line other
                   WHERE other.return_id = r.id
              ) credited ON TRUE
              LEFT JOIN LATERAL (
                  SELECT SUM(ABS(pay.amount_company_currency_signed)) AS amount
                    FROM account_payment_otc_return_rel rel
                    JOIN account_payment pay ON pay.id = rel.account_payment_id
                   WHERE rel.otc_return_id = r.id
                     AND pay.state NOT IN ('draft', 'canceled', 'rejected')
              ) refunds ON TRUE
             WHERE r.state NOT IN ('draft', 'cancel')
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
