import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2
from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools import SQL, mute_logger, plaintext2html

from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.otc_collections.engine import aging as aging_engine
from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..engine import allocation as allocation_engine
from ..engine import validation as validation_engine
from .formatting import Formatter

_logger = logging.getLogger(__name__)

InputError = validation_engine.InputError
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024  # bytes, per file
PAY_PAGE_SIZE = 100
STATEMENT_FORMATS = ("pdf", "xlsx")


class OtcCustomerPortal(PortalAccount):
    """Customer self-service of the Order-to-Cash suite on Odoo's portal.

    Every page works for the commercial entity of the logged-in user (its
    contacts see the same account), in the companies the user belongs to,
    one block per company. Documents are read for that customer only (the
    customer comes from the session, never from the request) and records
    are opened through ``_document_check_access``: an id of another
    customer answers exactly like an id that does not exist (404). Forms are
    POSTed with Odoo's CSRF token and every value is checked again here by
    the portal engines (``engine/validation.py``, ``engine/allocation.py``).
    """

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _otc_customer(self):
        return request.env.user.partner_id.commercial_partner_id

    def _otc_companies(self):
        """The companies whose documents the user may see on the portal."""
        return request.env.user.company_ids.sorted(lambda c: (c.sequence, c.id))

    def _otc_company(self, company_id):
        """A company of the user from a request parameter, or 404."""
        try:
            company_id = validation_engine.parse_id(company_id)
        except InputError:
            raise NotFound() from None
        company = self._otc_companies().filtered(lambda c: c.id == company_id)
        if not company:
            raise NotFound()
        return company

    def _otc_values(self, page_name, **values):
        return {
            **self._prepare_portal_layout_values(),
            "page_name": page_name,
            "fmt": Formatter(request.env),
            **values,
        }

    def _otc_money(self, units, currency):
        return Formatter(request.env).amount(
            validation_engine.from_units(units, currency.rounding), currency
        )

    def _otc_error_message(self, error, currency=None, items=None):
        """The translated sentence of an ``InputError``."""
        env = request.env
        params = dict(error.params)
        items = items or {}

        def money(key):
            return self._otc_money(params.get(key, 0), currency)

        def document():
            item = items.get(params.get("id"))
            return item.name if item else env._("this document")

        messages = {
            "nothing_selected": lambda: env._("Tick at least one invoice to pay."),
            "not_open": lambda: env._(
                "Some of the documents you chose can no longer be paid here (paid, "
                "cancelled or unknown). Reload the page to see what is open now."
            ),
            "in_payment": lambda: env._(
                "A payment of %(documents)s is already in progress. Wait for it to "
                "complete (or, if you abandoned it, try again in a few minutes): "
                "nothing was charged.",
                documents=params.get("names", ""),
            ),
            "busy": lambda: env._(
                "These documents are being paid at this very moment. Reload the "
                "page in a moment: nothing was charged."
            ),
            "amount_not_positive": lambda: env._(
                "The amount to pay on %s must be more than zero.", document()
            ),
            "amount_over_residual": lambda: env._(
                "You cannot pay more than %(due)s on %(document)s.",
                due=money("residual"),
                document=document(),
            ),
            "no_invoice": lambda: env._(
                "Tick at least one invoice: credit notes are deducted from invoices."
            ),
            "nothing_to_pay": lambda: env._(
                "The credit notes you chose (%(credits)s) cover the invoices "
                "(%(invoices)s): there is nothing to pay. Contact us to have them "
                "applied.",
                credits=money("credits"),
                invoices=money("invoices"),
            ),
            "total_not_positive": lambda: env._(
                "The amount to pay must be more than zero."
            ),
            "total_over": lambda: env._(
                "You cannot pay more than %s for these documents.", money("maximum")
            ),
            "total_under_fixed": lambda: env._(
                "The amounts you set per invoice, less the credit notes, come to "
                "%s: pay at least that much, or change them.",
                money("minimum"),
            ),
            "changed": lambda: env._(
                "Some of these documents were paid or changed in the meantime: "
                "nothing was charged. Please choose again what to pay."
            ),
            "amount_missing": lambda: env._("Enter an amount."),
            "amount_invalid": lambda: env._(
                "“%s” is not an amount: type digits, with a dot before the decimals.",
                params.get("value", ""),
            ),
            "amount_precision": lambda: env._(
                "“%(value)s” has too many decimals (%(decimals)s at most).",
                value=params.get("value", ""),
                decimals=params.get("decimals", 2),
            ),
            "id_invalid": lambda: env._("Unknown document."),
            "date_missing": lambda: env._("Enter a date."),
            "date_invalid": lambda: env._(
                "“%s” is not a date (expected YYYY-MM-DD).", params.get("value", "")
            ),
            "date_past": lambda: env._("The promised date cannot be in the past."),
            "date_beyond_horizon": lambda: env._(
                "Promise a date by %(latest)s at the latest (%(days)s days from "
                "today). For a later date, contact us.",
                latest=Formatter(request.env).date(params.get("latest")),
                days=params.get("days"),
            ),
            "amount_over_due": lambda: env._(
                "You cannot promise more than what is due on these invoices (%s).",
                money("due"),
            ),
            "no_document": lambda: env._("Choose at least one invoice."),
            "already_promised": lambda: env._(
                "%s is already covered by an open promise to pay.",
                params.get("names", ""),
            ),
            "mixed_currencies": lambda: env._(
                "Choose invoices in one currency: make one promise per currency."
            ),
            "invoice_paid": lambda: env._(
                "This invoice is already paid: there is nothing left to dispute. "
                "Contact us if something is wrong with it."
            ),
            "already_disputed": lambda: env._(
                "The whole amount due on this invoice is already under dispute."
            ),
            "amount_over_disputable": lambda: env._(
                "You can dispute at most %s on this invoice.", money("available")
            ),
            "reason_missing": lambda: env._("Choose the reason of your dispute."),
            "too_many_files": lambda: env._(
                "Attach at most %s files.", params.get("maximum", MAX_ATTACHMENTS)
            ),
            "file_too_large": lambda: env._(
                "%(name)s is too large (%(size)s MB at most per file).",
                name=params.get("name", ""),
                size=MAX_ATTACHMENT_SIZE // (1024 * 1024),
            ),
            "period_reversed": lambda: env._("The period ends before it starts."),
            "period_future": lambda: env._("The period cannot end after today."),
            "period_too_long": lambda: env._("Choose a period of ten years at most."),
            "format_invalid": lambda: env._("Choose PDF or Excel."),
        }
        message = messages.get(error.code)
        return message() if message else env._("Please check what you entered.")

    # ------------------------------------------------------------------
    # Home page card
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        customer = self._otc_customer()
        if "otc_balance_count" in counters:
            values["otc_balance_count"] = (
                len(customer._otc_portal_open_items(self._otc_companies()))
                if not request.env.user._is_public()
                else 0
            )
        # the customer's own records of each kind (the portal rules restrict them)
        for counter, model in (
            ("otc_dispute_count", "otc.dispute"),
            ("otc_promise_count", "otc.promise"),
        ):
            if counter in counters:
                Model = request.env[model]
                values[counter] = (
                    Model.search_count([("partner_id", "=", customer.id)], limit=1)
                    if Model.has_access("read")
                    else 0
                )
        return values

    # ------------------------------------------------------------------
    # Account overview
    # ------------------------------------------------------------------

    def _otc_overview_block(self, company, figures, today, fmt, labels):
        """Figures of one company: balance, overdue, aging, next due dates."""
        currency = company.currency_id
        by_due_date = figures.get("by_due_date", [])
        # The aging engine only looks at due dates: residuals summed per due
        # date age exactly like the items they sum.
        aging = aging_engine.age_items(
            [(day, day, owed + credit) for day, owed, credit in by_due_date],
            today,
            company._otc_aging_bounds(),
            currency.rounding,
        )
        overdue = currency.round(
            sum(owed for day, owed, _credit in by_due_date if day < today)
        )
        currencies = request.env["res.currency"]
        block = {
            "company": company,
            "currency": currency,
            "balance": fmt.amount(aging.total, currency),
            "balance_value": aging.total,
            "overdue": fmt.amount(overdue, currency),
            "overdue_value": overdue,
            "buckets": [
                {
                    "label": labels[bucket.index],
                    "amount": fmt.amount(total, currency),
                    "overdue": bucket.index > 0 or bucket.high is None,
                    "value": total,
                }
                for bucket, total in zip(aging.buckets, aging.totals)
            ],
            "upcoming": [
                {
                    "name": name,
                    "due_date": fmt.date(due_date),
                    "amount": fmt.amount(residual, currencies.browse(currency_id)),
                }
                for name, due_date, residual, currency_id in figures.get("upcoming", [])
            ],
            "credit": None,
        }
        if company.otc_portal_show_credit:
            block["credit"] = self._otc_credit_figures(company, fmt)
        return block

    def _otc_credit_figures(self, company, fmt):
        """Credit limit and available credit, shown only where the company
        enables it: figures, never the policy, hold or review behind them."""
        customer = self._otc_customer()
        exposure = (
            request.env["otc.credit.exposure"]
            .sudo()
            ._get_exposure(customer, company)
            .get(customer.id)
        )
        limit = exposure and exposure.profile().limit
        if not limit:
            return None
        currency = company.currency_id
        return {
            "limit": fmt.amount(limit, currency),
            "available": fmt.amount(max(limit - exposure.exposure, 0.0), currency),
        }

    @http.route("/my/balance", type="http", auth="user", website=True)
    def otc_portal_balance(self, **kw):
        customer = self._otc_customer()
        companies = self._otc_companies()
        today = fields.Date.context_today(request.env.user)
        fmt = Formatter(request.env)
        figures = customer._otc_portal_balance(companies, today)
        labels_of = request.env[
            "report.otc_collections.report_otc_statement"
        ]._bucket_labels
        blocks = []
        for company in companies:
            if company.id not in figures and len(companies) > 1:
                continue
            block = self._otc_overview_block(
                company,
                figures.get(company.id, {}),
                today,
                fmt,
                labels_of(aging_engine.buckets(company._otc_aging_bounds())),
            )
            blocks.append(block)
        Dispute = request.env["otc.dispute"]
        Promise = request.env["otc.promise"]
        # The record rules keep a portal user to its customer; the domain
        # does the same for staff opening the page.
        disputes = (
            Dispute.search([("state", "=", "open"), ("partner_id", "=", customer.id)])
            if Dispute.has_access("read")
            else Dispute
        )
        promises = (
            Promise.search(
                [
                    ("state", "in", ("open", "broken")),
                    ("partner_id", "=", customer.id),
                ]
            )
            if Promise.has_access("read")
            else Promise
        )
        orders = self._otc_orders_under_review()
        # Found as the user; read as superuser for their invoices' names
        # (the customer's own by construction, followed or not).
        disputes, promises = disputes.sudo(), promises.sudo()
        for block in blocks:
            company_id = block["company"].id
            block["disputes"] = disputes.filtered(
                lambda d, c=company_id: d.company_id.id == c
            )
            block["promises"] = promises.filtered(
                lambda p, c=company_id: p.company_id.id == c
            )
            block["orders"] = orders.filtered(
                lambda o, c=company_id: o.company_id.id == c
            )
        values = self._otc_values(
            "otc_balance", blocks=blocks, customer=customer, today=today
        )
        return request.render("otc_portal.portal_my_balance", values)

    def _otc_orders_under_review(self):
        """The customer's orders waiting for credit review: the orders the
        user may read (the sale order rules of the portal apply) whose credit
        state, an internal field, is read as the system: the portal shows that
        an order is under review, nothing of the credit check."""
        Order = request.env["sale.order"]
        if not Order.has_access("read"):
            return Order
        customer = self._otc_customer()
        pending = Order.sudo().search(
            [
                ("partner_id", "child_of", customer.id),
                ("otc_credit_state", "=", "pending"),
                ("state", "in", ("draft", "sent")),
            ],
            order="date_order desc",
        )
        return pending.with_env(request.env)._filtered_access("read")

    # ------------------------------------------------------------------
    # Invoices to pay
    # ------------------------------------------------------------------

    def _otc_pay_groups(self, items):
        """Open invoices and credit notes grouped by company and currency:
        one payment per group."""
        groups = defaultdict(list)
        for item in items:
            if item.payable:
                groups[(item.company_id, item.currency_id)].append(item)
        return groups

    @http.route(
        ["/my/balance/pay", "/my/balance/pay/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
    )
    def otc_portal_pay(
        self, company_id=None, currency_id=None, page=1, filterby="all", search="", **kw
    ):
        return self._otc_render_pay(
            company_id, currency_id, page=page, filterby=filterby, search=search
        )

    def _otc_pay_key(self, groups, keys, company_id, currency_id):
        """The (company, currency) group asked for, else the first one."""
        key = None
        if company_id or currency_id:
            try:
                key = (
                    validation_engine.parse_id(company_id),
                    validation_engine.parse_id(currency_id),
                )
            except InputError:
                raise NotFound() from None
            if key not in groups:
                key = None
        return key or (keys[0] if keys else None)

    def _otc_overdue_invoices(self, items, today):
        return [
            item
            for item in items
            if item.kind == allocation_engine.INVOICE
            and item.due_date < today
            and not item.in_payment
        ]

    def _otc_render_pay(
        self,
        company_id=None,
        currency_id=None,
        error=None,
        form=None,
        page=1,
        filterby="all",
        search="",
    ):
        """The documents of one company and currency, a page at a time (the
        choice made on other pages is kept by the page's script and sent with
        the form; the server checks the whole choice again)."""
        customer = self._otc_customer()
        companies = self._otc_companies()
        groups = self._otc_pay_groups(customer._otc_portal_open_items(companies))
        keys = sorted(groups, key=lambda key: (companies.ids.index(key[0]), key[1]))
        key = self._otc_pay_key(groups, keys, company_id, currency_id)
        fmt = Formatter(request.env)
        today = fields.Date.context_today(request.env.user)
        form = form or {}
        filterby = filterby if filterby in ("all", "overdue") else "all"
        search = (search or "").strip()[:64]
        Currency, Company = request.env["res.currency"], request.env["res.company"]
        currency = Currency.browse(key[1]) if key else Currency
        rows, pager, overdue = [], None, []
        if key:
            items = groups[key]
            overdue = self._otc_overdue_invoices(items, today)
            if filterby == "overdue":
                items = [item for item in items if item.due_date < today]
            if search:
                needle = search.lower()
                items = [item for item in items if needle in (item.name or "").lower()]
            pager = portal_pager(
                url="/my/balance/pay",
                url_args={
                    "company_id": key[0],
                    "currency_id": key[1],
                    "filterby": filterby,
                    "search": search,
                },
                total=len(items),
                page=page,
                step=PAY_PAGE_SIZE,
            )
            offset = pager["offset"]
            for item in items[offset : offset + PAY_PAGE_SIZE]:
                residual = abs(item.residual)
                rows.append(
                    {
                        "id": item.id,
                        "name": item.name,
                        "credit_note": item.kind == allocation_engine.CREDIT_NOTE,
                        "date": fmt.date(item.date),
                        "due_date": fmt.date(item.due_date),
                        "days": max((today - item.due_date).days, 0),
                        "residual": fmt.amount(residual, currency),
                        "residual_value": fmt.number(residual, currency),
                        "amount_value": form.get(f"amount_{item.id}")
                        or fmt.number(residual, currency),
                        "checked": f"doc_{item.id}" in form,
                        "in_payment": item.in_payment,
                        "disputed": item.disputed > 0,
                        "promise_date": fmt.date(item.promise_date),
                    }
                )
        values = self._otc_values(
            "otc_pay",
            groups=[
                {
                    "company": Company.browse(k[0]),
                    "currency": Currency.browse(k[1]),
                    "count": len(groups[k]),
                    "active": k == key,
                }
                for k in keys
            ],
            key=key,
            currency=currency,
            company=Company.browse(key[0]) if key else None,
            rows=rows,
            pager=pager if pager and pager["page_count"] > 1 else None,
            filterby=filterby,
            search=search,
            overdue_count=len(overdue),
            overdue_total=fmt.amount(sum(item.residual for item in overdue), currency)
            if key
            else "",
            error=error,
            total_value=form.get("total") or "",
            step=fmt.number(currency.rounding, currency) if currency else "0.01",
        )
        return request.render("otc_portal.portal_my_pay", values)

    @http.route(
        "/my/balance/pay", type="http", auth="user", website=True, methods=["POST"]
    )
    def otc_portal_pay_submit(self, company_id=None, currency_id=None, **post):
        company = self._otc_company(company_id)
        try:
            currency = request.env["res.currency"].browse(
                validation_engine.parse_id(currency_id)
            )
        except InputError:
            raise NotFound() from None
        if not currency.exists():
            raise NotFound()
        customer = self._otc_customer()
        Request = request.env["otc.payment.request"]
        items = {}
        if post.get("scope") == "overdue":
            # "Pay all overdue": every overdue invoice of the tab, in full.
            today = fields.Date.context_today(request.env.user)
            group = self._otc_pay_groups(customer._otc_portal_open_items(company)).get(
                (company.id, currency.id), []
            )
            post = {
                f"doc_{item.id}": "on"
                for item in self._otc_overdue_invoices(group, today)
            }
        try:
            selection = {}
            for key in post:
                if key.startswith("doc_"):
                    move_id = validation_engine.parse_id(key[4:])
                    amount = post.get(f"amount_{move_id}")
                    selection[move_id] = (
                        None
                        if amount in (None, "")
                        else validation_engine.from_units(
                            validation_engine.parse_amount(amount, currency.rounding),
                            currency.rounding,
                        )
                    )
            total = post.get("total")
            total = (
                None
                if total in (None, "")
                else validation_engine.from_units(
                    validation_engine.parse_amount(total, currency.rounding),
                    currency.rounding,
                )
            )
            plan, items = Request._otc_plan(
                customer, company, currency, selection, total
            )
        except InputError as error:
            message = self._otc_error_message(error, currency, items)
            return self._otc_render_pay(company.id, currency.id, message, post)
        payment_request = Request._otc_create_from_plan(
            customer,
            company,
            currency,
            plan,
            items,
            source="portal",
            contact_id=request.env.user.partner_id.id,
        )
        return request.redirect(payment_request.access_url)

    # ------------------------------------------------------------------
    # Payment page of a request (the customer's own choice or an emailed
    # payment request) and its transaction route
    # ------------------------------------------------------------------

    def _otc_request_access(self, request_id, token):
        """The request (sudo) and whether the visitor is its customer.

        Logged-in users reach it through the record rules (their own
        customer's requests); anybody else needs the signed token of the
        link. Anything else is a 404, whatever the reason.
        """
        record = request.env["otc.payment.request"].browse(request_id)
        record_sudo = record.sudo().exists()
        if not record_sudo:
            raise NotFound()
        user = request.env.user
        if not user._is_public() and record.has_access("read"):
            return (
                record_sudo,
                user.commercial_partner_id == record_sudo.partner_id,
                False,
            )
        if record_sudo._otc_check_signed_token(token):
            return (
                record_sudo,
                not user._is_public()
                and user.commercial_partner_id == record_sudo.partner_id,
                True,
            )
        raise NotFound()

    def _otc_payer(self, request_sudo, is_owner):
        """Who pays: the logged-in customer, else the contact the request was
        sent to (a link opened logged out)."""
        if is_owner:
            return request.env.user.partner_id
        return request_sudo.contact_id or request_sudo.partner_id

    def _otc_landing_route(self, request_sudo, token):
        route = request_sudo.access_url
        return f"{route}?token={token}" if token else route

    @http.route(
        "/my/payment_requests/<int:request_id>",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
        sitemap=False,
    )
    def otc_portal_payment_request(self, request_id, token=None, **kw):
        request_sudo, is_owner, by_token = self._otc_request_access(request_id, token)
        user = request.env.user
        if by_token and (user._is_public() or user.share):
            request_sudo._otc_log_opened()
        fmt = Formatter(request.env)
        currency = request_sudo.currency_id
        error = request_sudo._otc_payable_error()
        if not error:
            try:
                request_sudo._otc_recheck()
            except InputError as input_error:
                error = self._otc_error_message(
                    InputError("changed")
                    if input_error.code in ("not_open", "amount_over_residual")
                    else input_error,
                    currency,
                )
        lines = [
            {
                "name": line.move_id.name,
                "credit_note": line.kind == allocation_engine.CREDIT_NOTE,
                "date": fmt.date(line.move_id.invoice_date),
                "due_date": fmt.date(line.move_id.invoice_date_due),
                "residual": fmt.amount(line.residual, currency),
                "amount": fmt.amount(line.amount, currency),
                "remaining": fmt.amount(
                    currency.round(line.residual - line.amount), currency
                ),
                "partial": currency.compare_amounts(line.amount, line.residual) < 0,
            }
            for line in request_sudo.line_ids
        ]
        link_token = token if by_token else None
        values = self._otc_values(
            "otc_payment_request",
            payment_request=request_sudo,
            lines=lines,
            error=error,
            is_owner=is_owner,
            token=link_token,
            total_label=fmt.amount(request_sudo.amount, currency),
            invoice_total=fmt.amount(request_sudo.invoice_total, currency),
            credit_total=fmt.amount(request_sudo.credit_total, currency),
            last_tx=request_sudo.transaction_ids.sorted("id")[-1:],
            no_breadcrumbs=not is_owner,
        )
        if not error:
            values.update(
                self._otc_payment_form_values(request_sudo, is_owner, link_token)
            )
        return request.render("otc_portal.portal_payment_request_page", values)

    def _otc_payment_form_values(self, request_sudo, is_owner, token):
        """Rendering values of Odoo's payment form for the request."""
        partner_sudo = self._otc_payer(request_sudo, is_owner)
        company = request_sudo.company_id
        currency = request_sudo.currency_id
        report = {}
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id,
                partner_sudo.id,
                request_sudo.amount,
                currency_id=currency.id,
                report=report,
            )
        )
        methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids,
                partner_sudo.id,
                currency_id=currency.id,
                report=report,
            )
        )
        # Saved cards only for the customer logged in: a forwarded link does
        # not let anybody charge them.
        tokens_sudo = (
            request.env["payment.token"]
            .sudo()
            ._get_available_tokens(providers_sudo.ids, partner_sudo.id)
            if is_owner
            else request.env["payment.token"]
        )
        return {
            "company_mismatch": not PaymentPortal._can_partner_pay_in_company(
                partner_sudo, company
            ),
            "expected_company": company,
            "show_tokenize_input_mapping": PaymentPortal._compute_show_tokenize_input_mapping(
                providers_sudo
            )
            if is_owner
            else dict.fromkeys(providers_sudo.ids, False),
            "currency": currency,
            "amount": request_sudo.amount,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": report,
            "transaction_route": f"{request_sudo.access_url}/transaction",
            "landing_route": self._otc_landing_route(request_sudo, token),
            "access_token": token or "",
            "payment_reference": request_sudo.name,
            "reference_prefix": request_sudo.name,
        }

    @http.route(
        "/my/payment_requests/<int:request_id>/transaction", type="json", auth="public"
    )
    def otc_portal_payment_request_transaction(
        self, request_id, access_token=None, **kwargs
    ):
        """Create the transaction paying the request, after checking again
        that every document is still open for its amount and that no other
        payment of them is under way; nothing is created otherwise."""
        try:
            request_sudo, is_owner, by_token = self._otc_request_access(
                request_id, access_token
            )
        except NotFound:
            raise ValidationError(
                request.env._("This payment link is not valid.")
            ) from None
        error = request_sudo._otc_payable_error()
        if error:
            raise ValidationError(error)
        kwargs.pop("payment_reference", None)
        self._validate_transaction_kwargs(kwargs)
        currency = request_sudo.currency_id
        amount = kwargs.pop("amount", None)
        try:
            sent = float(amount)
        except (TypeError, ValueError):
            sent = None
        if sent is None or currency.compare_amounts(sent, request_sudo.amount) != 0:
            raise ValidationError(
                request.env._(
                    "The amount to pay does not match the request: reload the page."
                )
            )
        if kwargs.get("is_validation"):
            raise ValidationError(request.env._("This page only takes payments."))
        if not is_owner and kwargs.get("flow") == "token":
            raise ValidationError(
                request.env._("Log in to pay with a saved payment method.")
            )
        moves = request_sudo.line_ids.move_id
        try:
            self._otc_lock_documents(moves)
            self._otc_check_not_in_payment(request_sudo)
            request_sudo._otc_recheck()
        except InputError as input_error:
            if input_error.code in ("not_open", "amount_over_residual"):
                input_error = InputError("changed")
            raise ValidationError(
                self._otc_error_message(input_error, currency)
            ) from None
        partner_sudo = self._otc_payer(request_sudo, is_owner)
        kwargs["landing_route"] = self._otc_landing_route(
            request_sudo, access_token if by_token else None
        )
        if not is_owner:
            kwargs["tokenization_requested"] = False
        tx_sudo = self._create_transaction(
            amount=request_sudo.amount,
            currency_id=currency.id,
            partner_id=partner_sudo.id,
            reference_prefix=request_sudo.name,
            custom_create_values={
                "invoice_ids": [fields.Command.set(moves.ids)],
                "otc_payment_request_id": request_sudo.id,
            },
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    def _otc_lock_documents(self, moves):
        """Lock the documents while the transaction is created: a second
        attempt at the same moment gets a clear refusal, not a second charge."""
        try:
            with request.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                request.env.cr.execute(
                    SQL(
                        "SELECT id FROM account_move WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                        moves.ids,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise InputError("busy") from None

    def _otc_check_not_in_payment(self, request_sudo):
        items = request_sudo.partner_id._otc_portal_open_items(
            request_sudo.company_id, request_sudo.line_ids.move_id.ids
        )
        busy = [item.name for item in items if item.in_payment]
        if busy:
            raise InputError("in_payment", {"names": ", ".join(busy)})

    # ------------------------------------------------------------------
    # Statement
    # ------------------------------------------------------------------

    @http.route("/my/balance/statement", type="http", auth="user", website=True)
    def otc_portal_statement(self, **kw):
        today = fields.Date.context_today(request.env.user)
        companies = self._otc_companies()
        values = self._otc_values(
            "otc_statement",
            companies=companies,
            company=companies[:1],
            date_from=(today.replace(day=1) - relativedelta(months=3)).isoformat(),
            date_to=today.isoformat(),
            today=today.isoformat(),
            error=kw.get("error"),
        )
        return request.render("otc_portal.portal_my_statement", values)

    @http.route(
        "/my/balance/statement/download",
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
    )
    def otc_portal_statement_download(
        self, company_id=None, date_from=None, date_to=None, file_format="pdf", **kw
    ):
        company = self._otc_company(company_id)
        today = fields.Date.context_today(request.env.user)
        try:
            start = validation_engine.parse_date(date_from)
            end = validation_engine.parse_date(date_to)
            validation_engine.check_period(start, end, today)
            if file_format not in STATEMENT_FORMATS:
                raise InputError("format_invalid")
        except InputError as error:
            values = self._otc_values(
                "otc_statement",
                companies=self._otc_companies(),
                company=company,
                date_from=date_from or "",
                date_to=date_to or "",
                today=today.isoformat(),
                error=self._otc_error_message(error),
            )
            return request.render("otc_portal.portal_my_statement", values)
        content, filename, mimetype = self._otc_customer()._otc_portal_statement(
            company, start, end, file_format
        )
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    # ------------------------------------------------------------------
    # Disputes
    # ------------------------------------------------------------------

    @http.route("/my/disputes", type="http", auth="user", website=True)
    def otc_portal_disputes(self, **kw):
        disputes = request.env["otc.dispute"].search(
            [("partner_id", "=", self._otc_customer().id)],
            order="create_date desc, id desc",
        )
        values = self._otc_values("otc_disputes", disputes=disputes.sudo())
        return request.render("otc_portal.portal_my_disputes", values)

    @http.route(
        "/my/disputes/<int:dispute_id>", type="http", auth="public", website=True
    )
    def otc_portal_dispute(self, dispute_id, access_token=None, **kw):
        try:
            dispute_sudo = self._document_check_access(
                "otc.dispute", dispute_id, access_token
            )
        except (AccessError, MissingError):
            raise NotFound() from None
        values = self._otc_values(
            "otc_dispute",
            dispute=dispute_sudo,
            state_label=dispute_sudo._otc_state_label(dispute_sudo.state),
            created=kw.get("created"),
        )
        values = self._get_page_view_values(
            dispute_sudo, access_token, values, "my_disputes_history", False, **kw
        )
        # The portal chatter posts with the token when the user reaches the
        # dispute through it.
        values.setdefault("token", access_token)
        return request.render("otc_portal.portal_my_dispute", values)

    def _otc_disputable_invoice(self, invoice_id):
        """The customer's open invoice, or 404."""
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        customer = self._otc_customer()
        if (
            invoice_sudo.commercial_partner_id != customer
            or invoice_sudo.move_type != "out_invoice"
            or invoice_sudo.state != "posted"
            or invoice_sudo.company_id not in self._otc_companies()
        ):
            raise NotFound()
        return invoice_sudo

    def _otc_dispute_form_values(self, invoice_sudo, error=None, form=None):
        currency = invoice_sudo.currency_id
        fmt = Formatter(request.env)
        disputed = sum(
            invoice_sudo.otc_dispute_ids.filtered(lambda d: d.state == "open").mapped(
                "disputed_amount"
            )
        )
        disputable = max(currency.round(invoice_sudo.amount_residual - disputed), 0.0)
        reasons = (
            request.env["otc.dispute.reason"]
            .sudo()
            .search(
                [("company_id", "in", (False, invoice_sudo.company_id.id))],
                order="sequence, id",
            )
        )
        form = form or {}
        return self._otc_values(
            "otc_dispute_new",
            invoice=invoice_sudo,
            reasons=reasons,
            error=error,
            residual=fmt.amount(invoice_sudo.amount_residual, currency),
            disputable=fmt.amount(disputable, currency),
            disputable_value=fmt.number(disputable, currency),
            step=fmt.number(currency.rounding, currency),
            form=form,
            max_files=MAX_ATTACHMENTS,
        )

    @http.route(
        "/my/invoices/<int:invoice_id>/dispute",
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
    )
    def otc_portal_dispute_new(self, invoice_id, **kw):
        invoice_sudo = self._otc_disputable_invoice(invoice_id)
        return request.render(
            "otc_portal.portal_my_dispute_new",
            self._otc_dispute_form_values(invoice_sudo),
        )

    @http.route(
        "/my/invoices/<int:invoice_id>/dispute",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def otc_portal_dispute_create(self, invoice_id, **post):
        invoice_sudo = self._otc_disputable_invoice(invoice_id)
        currency = invoice_sudo.currency_id
        files = request.httprequest.files.getlist("attachments")
        files = [f for f in files if f and f.filename]
        try:
            if invoice_sudo.payment_state not in ("not_paid", "partial"):
                raise InputError("invoice_paid")
            reason = self._otc_dispute_reason(invoice_sudo, post.get("reason_id"))
            if post.get("scope") == "partial":
                amount_units = validation_engine.parse_amount(
                    post.get("amount"), currency.rounding
                )
            else:
                amount_units = validation_engine.to_units(
                    invoice_sudo.amount_residual, currency.rounding
                )
            disputed = sum(
                invoice_sudo.otc_dispute_ids.filtered(
                    lambda d: d.state == "open"
                ).mapped("disputed_amount")
            )
            validation_engine.check_dispute(
                amount_units,
                validation_engine.to_units(
                    invoice_sudo.amount_residual, currency.rounding
                ),
                validation_engine.to_units(disputed, currency.rounding),
            )
            attachments = self._otc_read_files(files)
        except InputError as error:
            return request.render(
                "otc_portal.portal_my_dispute_new",
                self._otc_dispute_form_values(
                    invoice_sudo, self._otc_error_message(error, currency), post
                ),
            )
        dispute = self._otc_create_dispute(
            invoice_sudo,
            reason,
            validation_engine.from_units(amount_units, currency.rounding),
            (post.get("message") or "").strip(),
            attachments,
        )
        return request.redirect(f"{dispute.access_url}?created=1")

    def _otc_dispute_reason(self, invoice_sudo, reason_id):
        try:
            reason_id = validation_engine.parse_id(reason_id)
        except InputError:
            raise InputError("reason_missing") from None
        reason = (
            request.env["otc.dispute.reason"]
            .sudo()
            .search(
                [
                    ("id", "=", reason_id),
                    ("company_id", "in", (False, invoice_sudo.company_id.id)),
                ],
                limit=1,
            )
        )
        if not reason:
            raise InputError("reason_missing")
        return reason

    def _otc_read_files(self, files):
        if len(files) > MAX_ATTACHMENTS:
            raise InputError("too_many_files", {"maximum": MAX_ATTACHMENTS})
        result = []
        for upload in files:
            content = upload.read(MAX_ATTACHMENT_SIZE + 1)
            if len(content) > MAX_ATTACHMENT_SIZE:
                raise InputError("file_too_large", {"name": upload.filename})
            result.append((upload.filename, content, upload.mimetype))
        return result

    def _otc_create_dispute(self, invoice_sudo, reason, amount, message, files):
        """The dispute, owned per the company's assignment, with the
        customer's message and files in its conversation."""
        contact = request.env.user.partner_id
        customer = self._otc_customer()
        company = invoice_sudo.company_id
        owner = request.env["res.partner"]._otc_portal_owner(customer, company)
        Dispute = request.env["otc.dispute"].sudo().with_company(company)
        dispute = Dispute.with_context(mail_create_nosubscribe=True).create(
            {
                "move_id": invoice_sudo.id,
                "disputed_amount": amount,
                "reason_id": reason.id,
                "description": plaintext2html(message) if message else False,
                "owner_id": owner.id,
                "source": "portal",
                "contact_id": contact.id,
            }
        )
        # The customer hears of the answers, the owner of the customer's replies.
        dispute.message_subscribe(partner_ids=(contact | owner.partner_id).ids)
        body = (
            plaintext2html(message)
            if message
            else Markup("<p>%s</p>") % request.env._("Dispute raised on the portal.")
        )
        # Files go through message_post's own attachment handling, which links
        # them to the message and to the dispute.
        dispute.message_post(
            body=body,
            author_id=contact.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachments=[(name, content) for name, content, _mimetype in files],
        )
        return dispute

    # ------------------------------------------------------------------
    # Promises to pay
    # ------------------------------------------------------------------

    @http.route("/my/promises", type="http", auth="user", website=True)
    def otc_portal_promises(self, **kw):
        promises = request.env["otc.promise"].search(
            [
                ("partner_id", "=", self._otc_customer().id),
                ("state", "!=", "cancelled"),
            ],
            order="promise_date desc, id desc",
        )
        values = self._otc_values(
            "otc_promises", promises=promises.sudo(), created=kw.get("created")
        )
        return request.render("otc_portal.portal_my_promises", values)

    def _otc_promise_items(self, company):
        """Open invoices of the customer in ``company`` that may be promised:
        in company currency (promises are kept in it)."""
        return [
            item
            for item in self._otc_customer()._otc_portal_open_items(company)
            if item.kind == allocation_engine.INVOICE
            and item.currency_id == company.currency_id.id
            and item.residual > 0
        ]

    def _otc_promise_form(self, company, error=None, form=None):
        fmt = Formatter(request.env)
        today = fields.Date.context_today(request.env.user)
        currency = company.currency_id
        form = form or {}
        items = self._otc_promise_items(company)
        rows = [
            {
                "id": item.id,
                "name": item.name,
                "due_date": fmt.date(item.due_date),
                "days": max((today - item.due_date).days, 0),
                "residual": fmt.amount(item.residual, currency),
                "residual_value": fmt.number(item.residual, currency),
                "checked": f"doc_{item.id}" in form,
                "promise_date": fmt.date(item.promise_date),
            }
            for item in items
        ]
        latest = today + timedelta(days=company.otc_portal_promise_horizon)
        return self._otc_values(
            "otc_promise_new",
            companies=self._otc_companies(),
            company=company,
            currency=currency,
            rows=rows,
            error=error,
            form=form,
            min_date=today.isoformat(),
            max_date=latest.isoformat(),
            latest=fmt.date(latest),
            step=fmt.number(currency.rounding, currency),
        )

    @http.route(
        "/my/balance/promise", type="http", auth="user", website=True, methods=["GET"]
    )
    def otc_portal_promise_new(self, company_id=None, **kw):
        company = (
            self._otc_company(company_id) if company_id else self._otc_companies()[:1]
        )
        return request.render(
            "otc_portal.portal_my_promise_new", self._otc_promise_form(company)
        )

    @http.route(
        "/my/balance/promise", type="http", auth="user", website=True, methods=["POST"]
    )
    def otc_portal_promise_create(self, company_id=None, **post):
        company = self._otc_company(company_id)
        currency = company.currency_id
        today = fields.Date.context_today(request.env.user)
        items = {item.id: item for item in self._otc_promise_items(company)}
        try:
            chosen = [
                validation_engine.parse_id(key[4:])
                for key in post
                if key.startswith("doc_")
            ]
            if not chosen:
                raise InputError("no_document")
            if any(move_id not in items for move_id in chosen):
                raise InputError("not_open")
            promised = [
                items[move_id] for move_id in chosen if items[move_id].promise_date
            ]
            if promised:
                raise InputError(
                    "already_promised",
                    {"names": ", ".join(item.name for item in promised)},
                )
            promise_date = validation_engine.parse_date(post.get("promise_date"))
            amount_units = validation_engine.parse_amount(
                post.get("amount"), currency.rounding
            )
            due_units = sum(
                validation_engine.to_units(items[move_id].residual, currency.rounding)
                for move_id in chosen
            )
            validation_engine.check_promise(
                today,
                promise_date,
                company.otc_portal_promise_horizon,
                amount_units,
                due_units,
            )
        except InputError as error:
            return request.render(
                "otc_portal.portal_my_promise_new",
                self._otc_promise_form(
                    company, self._otc_error_message(error, currency, items), post
                ),
            )
        customer = self._otc_customer()
        owner = request.env["res.partner"]._otc_portal_owner(customer, company)
        request.env["otc.promise"].sudo().with_company(company).create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "move_ids": [fields.Command.set(chosen)],
                "promise_date": promise_date,
                "amount": validation_engine.from_units(amount_units, currency.rounding),
                "collector_id": owner.id,
                "source": "portal",
            }
        )
        return request.redirect("/my/promises?created=1")
