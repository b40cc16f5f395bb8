from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount

from odoo.addons.otc_order_to_cash.tools.batch import run_batches

from ..engine import promises as promise_engine


class OtcPromise(models.Model):
    """A customer's promise to pay an amount by a date, on one or several invoices.

    While open, the promise keeps its invoices out of dunning. The daily check
    compares what was paid on the invoices since the promise was made with
    the promised amount: kept when paid in full, broken when the date (plus
    the company's grace days) has passed; a broken promise puts the invoices
    back in dunning and gives the collector an activity.
    """

    _name = "otc.promise"
    _description = "Promise to Pay"
    _inherit = ["otc.sequence.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "promise_date, id desc"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial')),"
        " ('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id)]",
    )
    promise_date = fields.Date(string="Promised Date", required=True, tracking=True)
    amount = fields.Monetary(string="Promised Amount", required=True, tracking=True)
    residual_at_promise = fields.Monetary(
        readonly=True, help="What was due on the invoices when the promise was made."
    )
    paid_amount = fields.Monetary(
        string="Paid since Promise", compute="_compute_paid_amount"
    )
    collector_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    source = fields.Selection(
        [("collector", "Collector"), ("portal", "Customer Portal")],
        default="collector",
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        tracking=True,
        index=True,
    )
    note = fields.Text()

    @api.depends("move_ids.amount_residual", "amount", "promise_date")
    def _compute_paid_amount(self):
        saved = self.filtered("id")
        results = saved._evaluate() if saved else {}
        for promise in self:
            result = results.get(promise.id)
            promise.paid_amount = result.paid if result else 0.0

    def _engine_promises(self):
        return [
            promise_engine.Promise(
                id=promise.id,
                customer=promise.partner_id.commercial_partner_id.id,
                promise_date=promise.promise_date,
                amount=promise.amount,
                created_date=min(
                    fields.Date.to_date(promise.create_date or fields.Date.today()),
                    promise.promise_date,
                ),
                invoice_ids=frozenset(promise.move_ids.ids),
            )
            for promise in self
        ]

    def _engine_payments(self):
        """Money received on the promised invoices: their reconciliations with
        payments and bank statement lines (credit notes are not payments)."""
        if not self:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT apr.max_date, apr.amount, inv.commercial_partner_id, inv_line.move_id
              FROM account_partial_reconcile apr
              JOIN account_move_line inv_line ON inv_line.id = apr.debit_move_id
              JOIN account_move inv ON inv.id = inv_line.move_id
              JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
              JOIN account_move pay ON pay.id = pay_line.move_id
             WHERE inv_line.move_id = ANY(%s)
               AND pay.move_type = 'entry'
            """,
            [list(set(self.move_ids.ids))],
        )
        return [promise_engine.Payment(*row) for row in self.env.cr.fetchall()]

    def _evaluate(self, today=None):
        """{promise id: engine PromiseResult}, per company (grace and rounding)."""
        today = today or fields.Date.context_today(self)
        results = {}
        for company, promises in self.grouped("company_id").items():
            for result in promise_engine.evaluate(
                promises._engine_promises(),
                promises._engine_payments(),
                today,
                grace_days=company.otc_promise_grace_days,
                rounding=company.currency_id.rounding,
            ):
                results[result.promise.id] = result
        return results

    @api.constrains("amount", "move_ids", "partner_id", "company_id")
    def _check_promise(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0) <= 0:
                raise ValidationError(
                    self.env._("The promised amount must be positive.")
                )
            if not promise.move_ids:
                raise ValidationError(
                    self.env._("A promise to pay covers at least one invoice.")
                )
            wrong = promise.move_ids.filtered(
                lambda m, p=promise: (
                    m.commercial_partner_id != p.partner_id.commercial_partner_id
                    or m.company_id != p.company_id
                    or m.move_type != "out_invoice"
                    or m.state != "posted"
                )
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "These invoices are not posted invoices of %(customer)s in %(company)s: %(invoices)s",
                        customer=promise.partner_id.display_name,
                        company=promise.company_id.name,
                        invoices=", ".join(wrong.mapped("display_name")),
                    )
                )
            due = promise.residual_at_promise or sum(
                promise.move_ids.mapped("amount_residual")
            )
            if promise.currency_id.compare_amounts(promise.amount, due) > 0:
                raise ValidationError(
                    self.env._(
                        "The promised amount (%(amount)s) exceeds what is due on the invoices (%(due)s).",
                        amount=format_amount(
                            self.env, promise.amount, promise.currency_id
                        ),
                        due=format_amount(self.env, due, promise.currency_id),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            promise.residual_at_promise = sum(
                promise.move_ids.mapped("amount_residual")
            )
            # The customer's chatter shows the promise; a collector may not be
            # allowed to edit contacts.
            promise.partner_id._otc_log_note(
                self.env._(
                    "Promise to pay %(amount)s by %(date)s (%(name)s).",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=promise.promise_date,
                    name=promise.name,
                )
            )
        return promises

    def action_cancel(self):
        if any(promise.state != "open" for promise in self):
            raise UserError(self.env._("Only open promises can be cancelled."))
        self.write({"state": "cancelled"})
        return True

    @api.model
    def _cron_check_promises(self, batch_size=500):
        """Daily: mark open promises kept or broken (commits per batch in a cron)."""
        run_batches(
            self.env,
            self.search([("state", "=", "open")], order="id").ids,
            lambda ids: self.browse(ids)._check_promises(),
            batch_size=batch_size,
            label="Promise check",
        )

    def _check_promises(self, today=None):
        today = today or fields.Date.context_today(self)
        open_promises = self.filtered(lambda p: p.state == "open")
        results = open_promises._evaluate(today)
        for promise in open_promises:
            status = results[promise.id].status
            if status == promise_engine.STATUS_KEPT:
                promise.state = "kept"
                promise.message_post(
                    body=self.env._("Promise kept."), subtype_xmlid="mail.mt_note"
                )
            elif results[promise.id].resumes_dunning:
                promise.state = "broken"
                promise.activity_schedule(
                    "otc_collections.mail_activity_type_otc_promise_broken",
                    user_id=(promise.collector_id or self.env.user).id,
                    date_deadline=today,
                    summary=self.env._(
                        "Broken promise: %s", promise.partner_id.display_name
                    ),
                    note=self.env._(
                        "%(paid)s paid of %(amount)s promised by %(date)s. The invoices are back in dunning.",
                        paid=format_amount(
                            self.env, promise.paid_amount, promise.currency_id
                        ),
                        amount=format_amount(
                            self.env, promise.amount, promise.currency_id
                        ),
                        date=promise.promise_date,
                    ),
                )
                promise.message_post(
                    body=self.env._(
                        "Promise broken: the invoices are back in dunning."
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    @api.model
    def _valid_promise_move_ids(self, company, today=None):
        """Invoices dunning must leave alone: those under an open promise not yet due."""
        today = today or fields.Date.context_today(self)
        promises = self.search(
            [("state", "=", "open"), ("company_id", "=", company.id)]
        )
        scope = promise_engine.protected_scope(
            promises._engine_promises(), today, company.otc_promise_grace_days
        )
        return set(scope.invoice_ids)
