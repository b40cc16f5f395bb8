import json
import re

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user

from odoo.addons.otc_order_to_cash.tests.common import OtcCreditCommon


class OtcPortalCommon(OtcCreditCommon):
    """A customer with a portal user, another customer with its own portal
    user, open documents for both, the demo payment provider in the company.

    Documents of the customer (T = today): ``inv_old`` 1000 due T-60,
    ``inv_mid`` 500 due T-15, ``inv_new`` 300 (to the contact) due T+25 and
    the credit note ``refund`` 100; ``other_inv`` 700 belongs to the other
    customer.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.email = "ar@company.example.com"
        cls.company.otc_default_collector_id = cls.collector
        cls.portal_user = new_test_user(
            cls.env,
            login="otc_portal_a",
            password="otc_portal_a",
            groups="base.group_portal",
            partner_id=cls.contact.id,
            email="buyer@customer.example.com",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        Partner = cls.env["res.partner"]
        cls.other_customer = Partner.create(
            {"name": "Other Customer", "is_company": True, "email": "o@example.com"}
        )
        cls.other_contact = Partner.create(
            {"name": "Buyer at Other Customer", "parent_id": cls.other_customer.id}
        )
        cls.other_user = new_test_user(
            cls.env,
            login="otc_portal_b",
            password="otc_portal_b",
            groups="base.group_portal",
            partner_id=cls.other_contact.id,
            email="buyer@other.example.com",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.inv_old = cls.make_invoice(cls.customer, 1000, days_ago=90)
        cls.inv_mid = cls.make_invoice(cls.customer, 500, days_ago=45)
        cls.inv_new = cls.make_invoice(cls.contact, 300, days_ago=5)
        cls.refund = cls.make_invoice(
            cls.customer, 100, days_ago=10, move_type="out_refund"
        )
        cls.other_inv = cls.make_invoice(cls.other_customer, 700, days_ago=40)
        cls.reason = cls.env.ref("otc_collections.otc_dispute_reason_price")
        cls.provider = cls._demo_provider()
        cls.Request = cls.env["otc.payment.request"]

    @classmethod
    def _demo_provider(cls):
        """The demo provider of ``payment_demo`` in the test company, as
        Odoo's own payment tests prepare it (installed beside the suite by
        run_tests.sh)."""
        module = cls.env["ir.module.module"]._get("payment_demo")
        assert module.state == "installed", (
            "payment_demo must be installed in the test database "
            "(run_tests.sh installs it, see OTC_TEST_MODULES)"
        )
        Provider = cls.env["payment.provider"].sudo()
        provider = Provider.search(
            [("code", "=", "demo"), ("company_id", "=", cls.company.id)], limit=1
        ) or cls.env.ref("payment.payment_provider_demo").sudo().copy(
            {"company_id": cls.company.id}
        )
        provider.write(
            {
                "state": "test",
                "is_published": True,
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        return provider

    @staticmethod
    def receivable(move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    @classmethod
    def plan_request(cls, selection, total=None, customer=None, **vals):
        """A payment request as the pay page creates it (checked by the engine)."""
        customer = customer or cls.customer
        currency = cls.company.currency_id
        plan, items = cls.Request._otc_plan(
            customer, cls.company, currency, selection, total
        )
        return cls.Request._otc_create_from_plan(
            customer, cls.company, currency, plan, items, **vals
        )


class OtcPortalHttpCommon(OtcPortalCommon, HttpCase):
    """Helpers to browse the portal as a customer."""

    def login_a(self):
        self.authenticate("otc_portal_a", "otc_portal_a")

    def login_b(self):
        self.authenticate("otc_portal_b", "otc_portal_b")

    def csrf(self):
        return http.Request.csrf_token(self)

    def get(self, url, **kw):
        return self.url_open(url, allow_redirects=kw.pop("allow_redirects", False))

    def post(self, url, data, csrf=True, files=None, allow_redirects=False):
        data = dict(data)
        if csrf:
            data["csrf_token"] = self.csrf()
        return self.url_open(
            url, data=data, files=files, allow_redirects=allow_redirects
        )

    def assert_not_found(self, response):
        self.assertEqual(response.status_code, 404, response.text[:300])

    def assert_login_redirect(self, response):
        self.assertIn(response.status_code, (301, 302, 303))
        self.assertIn("/web/login", response.headers.get("Location", ""))

    @staticmethod
    def error_of(response):
        match = re.search(
            r'class="alert alert-danger otc_error"[^>]*>(.*?)</div>',
            response.text,
            re.S,
        )
        return match.group(1).strip() if match else None

    def jsonrpc(self, route, params):
        """A JSON route's result or error (does not raise)."""
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "id": None, "params": params}
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()
