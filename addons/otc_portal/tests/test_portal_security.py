import json

from odoo.tests import tagged

from .common import OtcPortalHttpCommon

# Suite models a portal user reads, for its own customer only.
PORTAL_READABLE = {
    "otc.dispute",
    "otc.dispute.reason",
    "otc.promise",
    "otc.payment.request",
    "otc.payment.request.line",
    "otc.return",
    "otc.return.line",
    "otc.return.reason",
}
# Readable by every portal user (no customer on them).
SHARED = {"otc.dispute.reason", "otc.return.reason"}
# Staff-only fields of those models.
HIDDEN_FIELDS = {
    "otc.dispute": ["owner_id", "resolution_note", "resolved_by_id"],
    "otc.promise": ["note", "collector_id"],
    "otc.payment.request": ["link_url"],
    "otc.return": [
        "user_id",
        "approved_by_id",
        "return_picking_ids",
        "credit_note_ids",
        "refund_payment_ids",
        "dispute_ids",
    ],
    "otc.return.line": ["condition", "salesperson_id", "move_ids", "credit_line_ids"],
}


@tagged("post_install", "-at_install")
class TestPortalSecurity(OtcPortalHttpCommon):
    """A portal user reaches no backend model of the suite over RPC, and
    only its own records of the few it reads on the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Dispute = cls.env["otc.dispute"]
        cls.own_dispute = Dispute.create(
            {
                "move_id": cls.inv_old.id,
                "disputed_amount": 10,
                "reason_id": cls.reason.id,
            }
        )
        cls.other_dispute = Dispute.create(
            {
                "move_id": cls.other_inv.id,
                "disputed_amount": 10,
                "reason_id": cls.reason.id,
            }
        )
        cls.own_request = cls.plan_request({cls.inv_mid.id: None}, source="portal")
        # a draft return is enough to read it: no delivery needed
        order = cls.make_order(cls.customer, 100)
        cls.own_return = cls.env["otc.return"].create(
            {
                "sale_order_id": order.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "sale_line_id": order.order_line.id,
                            "quantity": 1,
                            "reason_id": cls.env.ref(
                                "otc_order_to_cash.otc_return_reason_defective"
                            ).id,
                        },
                    )
                ],
            }
        )
        cls.other_request = cls.plan_request(
            {cls.other_inv.id: None}, customer=cls.other_customer, source="portal"
        )

    def suite_models(self):
        return sorted(
            name
            for name, model in self.env.registry.items()
            if name.startswith("otc.") and not model._abstract
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def assert_denied(self, result, what):
        self.assertIn(
            "error", result, f"{what}: allowed, returned {result.get('result')!r:.200}"
        )
        self.assertIn(
            result["error"]["data"]["name"],
            ("odoo.exceptions.AccessError", "odoo.exceptions.MissingError"),
            what,
        )

    def test_every_suite_model_through_call_kw(self):
        models = self.suite_models()
        self.assertIn("otc.credit.control", models)
        self.assertIn("otc.payment.request", models)
        self.login_a()
        for model in models:
            with self.subTest(model=model):
                result = self.call_kw(model, "search_read", [[]], {"fields": ["id"]})
                if model not in PORTAL_READABLE:
                    self.assert_denied(result, f"{model}.search_read")
                else:
                    self.assertIn("result", result, result.get("error"))
                for method, args in (
                    ("create", [{}]),
                    ("write", [[1], {"display_name": "x"}]),
                    ("unlink", [[1]]),
                ):
                    self.assert_denied(
                        self.call_kw(model, method, args), f"{model}.{method}"
                    )

    def test_only_own_records_of_portal_models(self):
        self.login_a()
        ids = self.call_kw("otc.dispute", "search_read", [[]], {"fields": ["id"]})[
            "result"
        ]
        self.assertEqual([r["id"] for r in ids], self.own_dispute.ids)
        self.assert_denied(
            self.call_kw("otc.dispute", "read", [self.other_dispute.ids, ["name"]]),
            "read another customer's dispute",
        )
        requests = self.call_kw(
            "otc.payment.request", "search_read", [[]], {"fields": ["id"]}
        )
        self.assertEqual([r["id"] for r in requests["result"]], self.own_request.ids)
        self.assert_denied(
            self.call_kw(
                "otc.payment.request.line",
                "read",
                [self.other_request.line_ids.ids, ["amount"]],
            ),
            "read another customer's request line",
        )
        # Resolving a dispute or paying a request through RPC is refused.
        self.assert_denied(
            self.call_kw(
                "otc.dispute", "action_resolve_credit_note", [self.own_dispute.ids]
            ),
            "resolve own dispute",
        )
        self.assert_denied(
            self.call_kw(
                "otc.payment.request", "action_cancel", [self.own_request.ids]
            ),
            "cancel own request",
        )

    def test_staff_fields_are_not_readable(self):
        self.login_a()
        records = {
            "otc.dispute": self.own_dispute,
            "otc.payment.request": self.own_request,
            "otc.return": self.own_return,
            "otc.return.line": self.own_return.line_ids,
        }
        promise = self.env["otc.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [(6, 0, self.inv_new.ids)],
                "promise_date": self.today,
                "amount": 10,
                "note": "secret",
            }
        )
        records["otc.promise"] = promise
        for model, fields in HIDDEN_FIELDS.items():
            for field in fields:
                with self.subTest(model=model, field=field):
                    self.assert_denied(
                        self.call_kw(model, "read", [records[model].ids, [field]]),
                        f"{model}.{field}",
                    )
            result = self.call_kw(model, "read", [records[model].ids])
            self.assertIn("result", result)
            self.assertFalse(set(fields) & set(result["result"][0]), model)

    def test_external_api_is_closed_too(self):
        """The same through /jsonrpc (execute_kw), with the portal password."""
        uid = self.portal_user.id
        for model in self.suite_models():
            payload = {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [
                        self.env.cr.dbname,
                        uid,
                        "otc_portal_a",
                        model,
                        "search_read",
                        [[("partner_id", "=", self.other_customer.id)]]
                        if model in PORTAL_READABLE - SHARED
                        else [[]],
                        {"fields": ["id"]},
                    ],
                },
            }
            response = self.url_open(
                "/jsonrpc",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            ).json()
            with self.subTest(model=model):
                if model in PORTAL_READABLE:
                    if model not in SHARED:
                        self.assertEqual(response.get("result"), [], model)
                else:
                    self.assertIn("error", response, model)

    def test_json2_is_not_an_endpoint(self):
        # Odoo 18 has no /json/2 API: nothing answers there for any model.
        self.login_a()
        for model in ("otc.dispute", "otc.credit.control", "otc.payment.request"):
            response = self.url_open(
                f"/json/2/{model}/search_read",
                data=json.dumps({"domain": []}),
                headers={"Content-Type": "application/json"},
            )
            self.assertIn(response.status_code, (400, 404), model)
            self.assertNotIn(self.own_dispute.name, response.text)
