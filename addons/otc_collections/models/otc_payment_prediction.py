from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

from ..engine import prediction as prediction_engine
from .otc_receivable_snapshot import paid_invoice_parts_sql, receivable_account_ids

#: how far back the payment history used for the patterns goes
HISTORY_DAYS = 730


class OtcPaymentPrediction(models.Model):
    """When each open customer invoice is expected to be paid.

    Rebuilt per company by a daily job: two reads (the customers' payment
    history: invoice parts reconciled in the last two years; the open
    invoices with their open dispute, open promise and dunning level), the
    prediction engine in between (``engine/prediction.py``: amount- and
    recency-weighted days late, shrunk towards the customer's country and
    then the company), one DELETE and one INSERT. The cash-in forecast and
    the invoice list read these rows.
    """

    _name = "otc.payment.prediction"
    _description = "Payment Date Prediction"
    _order = "predicted_date, id"
    _rec_name = "move_id"

    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_residual = fields.Monetary("Amount Due", readonly=True)
    amount_residual_company = fields.Monetary(
        "Amount Due (Company Currency)",
        readonly=True,
        currency_field="company_currency_id",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    due_date = fields.Date(readonly=True)
    predicted_date = fields.Date(readonly=True, index=True)
    predicted_low = fields.Date("Earliest", readonly=True)
    predicted_high = fields.Date("Latest", readonly=True)
    predicted_days_late = fields.Float(digits=(16, 1), readonly=True)
    source = fields.Selection(
        [
            (prediction_engine.SOURCE_PROMISE, "Promise to pay"),
            (prediction_engine.SOURCE_CUSTOMER, "Customer's pattern"),
            (prediction_engine.SOURCE_PRIOR, "Similar customers"),
        ],
        readonly=True,
    )
    disputed = fields.Boolean(readonly=True)
    disputed_amount = fields.Monetary(readonly=True)
    computed_on = fields.Date(readonly=True)

    _sql_constraints = [
        ("otc_prediction_move_unique", "UNIQUE(move_id)", "One prediction per invoice.")
    ]

    # ----------------------------------------------------------------- reads
    def _otc_history(self, company, as_of):
        """Reconciled invoice parts of the company: (partner, country, amount, due, paid)."""
        self.env.cr.execute(
            SQL(
                "SELECT cp.id, cp.country_id, apr.amount,"
                " COALESCE(aml.date_maturity, aml.date), apr.max_date %s",
                paid_invoice_parts_sql(
                    company.id,
                    as_of - timedelta(days=HISTORY_DAYS),
                    as_of,
                    receivable_account_ids(self.env),
                ),
            )
        )
        return self.env.cr.fetchall()

    def _otc_open_invoices(self, company):
        """Open posted customer invoices with what is known about each."""
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, cp.id, cp.country_id, m.currency_id,
                       m.amount_residual, m.amount_residual_signed,
                       COALESCE(m.invoice_date_due, m.invoice_date),
                       m.payment_state = 'partial',
                       COALESCE((SELECT SUM(d.disputed_amount) FROM otc_dispute d
                                  WHERE d.move_id = m.id AND d.state = 'open'), 0.0),
                       (SELECT MIN(pr.promise_date)
                          FROM account_move_otc_promise_rel rel
                          JOIN otc_promise pr ON pr.id = rel.otc_promise_id
                         WHERE rel.account_move_id = m.id AND pr.state = 'open'),
                       (SELECT MAX(c.level_sequence)
                          FROM otc_dunning_communication_line cl
                          JOIN otc_dunning_communication c ON c.id = cl.communication_id
                          JOIN account_move_line l ON l.id = cl.move_line_id
                         WHERE l.move_id = m.id AND c.state = 'sent')
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                  JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
                 WHERE m.company_id = %(company)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.payment_state IN ('not_paid', 'partial', 'in_payment')
                   AND m.amount_residual > 0
                """,
                company=company.id,
            )
        )
        return self.env.cr.fetchall()

    # ---------------------------------------------------------------- decide
    @api.model
    def _otc_predict_company(self, company, as_of=None):
        """Rebuild the predictions of ``company``; returns how many were written."""
        as_of = as_of or fields.Date.context_today(self)
        for model in ("account.move", "account.move.line", "account.partial.reconcile"):
            self.env[model].flush_model()
        engine = prediction_engine
        by_partner = defaultdict(list)
        by_country = defaultdict(list)
        everything = []
        for partner, country, amount, due, paid in self._otc_history(company, as_of):
            item = engine.PaidItem(amount, due, paid)
            by_partner[partner].append(item)
            by_country[country].append(item)
            everything.append(item)
        company_prior = (
            engine.build_profile(everything, as_of) or engine.COMPANY_FALLBACK
        )
        country_priors = {
            country: engine.shrink(engine.build_profile(items, as_of), company_prior)
            for country, items in by_country.items()
        }
        open_by_partner = defaultdict(list)
        for row in self._otc_open_invoices(company):
            open_by_partner[(row[1], row[2])].append(row)
        rows = []
        for (partner, country), invoices in open_by_partner.items():
            prior = country_priors.get(country, company_prior)
            predictions = engine.predict_many(
                [
                    engine.OpenInvoice(
                        due_date=r[6],
                        promise_date=r[9],
                        disputed=r[8] > 0,
                        dunning_level=r[10] or 0,
                        partly_paid=r[7],
                    )
                    for r in invoices
                ],
                by_partner.get(partner, []),
                as_of,
                prior,
            )
            for r, pred in zip(invoices, predictions, strict=True):
                rows.append((r, pred))
        written = self._otc_write(company, as_of, rows)
        # the cash-in forecast of the week reads nothing else that changes
        # daily: computed once here, the dashboard reuses it
        self.env["otc.cash.forecast"]._otc_store(company)
        return written

    # ----------------------------------------------------------------- write
    def _otc_write(self, company, as_of, rows):
        """Replace the company's predictions: one DELETE, INSERTs of 5,000 rows."""
        self.env.cr.execute(
            SQL("DELETE FROM otc_payment_prediction WHERE company_id = %s", company.id)
        )
        for start in range(0, len(rows), 5000):
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s::date, %s::date, %s::date, %s::date, %s, %s,"
                    " %s, %s, %s::date)",
                    r[0],
                    r[1],
                    company.id,
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    pred.date,
                    pred.low,
                    pred.high,
                    pred.days_late,
                    pred.source,
                    r[8] > 0,
                    r[8],
                    as_of,
                )
                for r, pred in rows[start : start + 5000]
            )
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO otc_payment_prediction
                           (move_id, partner_id, company_id, currency_id, amount_residual,
                            amount_residual_company, due_date, predicted_date, predicted_low,
                            predicted_high, predicted_days_late, source, disputed,
                            disputed_amount, computed_on,
                            create_uid, create_date, write_uid, write_date)
                    SELECT v.*, %(uid)s, now() at time zone 'UTC', %(uid)s,
                           now() at time zone 'UTC'
                      FROM (VALUES %(values)s) v
                    """,
                    uid=self.env.uid,
                    values=values,
                )
            )
        self.invalidate_model()
        return len(rows)

    @api.model
    def _cron_predict(self):
        """Daily: every company's predictions, one company per committed unit."""
        Company = self.env["res.company"]
        return run_batches(
            self.env,
            Company.search([]).ids,
            lambda ids: [self._otc_predict_company(Company.browse(cid)) for cid in ids],
            batch_size=1,
            label="Payment date prediction",
        )
