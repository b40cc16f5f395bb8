from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OtcPortalCommon

SUITE_MODULES = ("otc_order_to_cash", "otc_collections", "otc_portal")
OPERATIONS = ("read", "write", "create", "unlink")

# What each user may do on every model of the suite: r(ead) w(rite) c(reate)
# u(nlink), "-" where refused. A model added to the suite needs its line here.
ACCESS = {
    "otc.cash.forecast": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.cash.forecast.line": {"portal": "----", "salesman": "----", "clerk": "rwcu", "collector": "rwcu"},
    "otc.cash.payer": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.cash.pick.wizard": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.cash.pick.wizard.line": {"portal": "----", "salesman": "----", "clerk": "rwcu", "collector": "rwcu"},
    "otc.cash.suggestion": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.collector.rule": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "r---"},
    "otc.credit.approval": {"portal": "----", "salesman": "r---", "clerk": "r---", "collector": "r---"},
    "otc.credit.check.wizard": {"portal": "----", "salesman": "rwc-", "clerk": "----", "collector": "----"},
    "otc.credit.control": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.credit.control.export": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.credit.event": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.credit.hold.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "----"},
    "otc.credit.reject.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "----"},
    "otc.credit.risk.category": {"portal": "----", "salesman": "r---", "clerk": "r---", "collector": "r---"},
    "otc.dispute": {"portal": "r---", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.dispute.reason": {"portal": "r---", "salesman": "r---", "clerk": "r---", "collector": "r---"},
    "otc.dispute.reject.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "rwc-"},
    "otc.dunning.communication": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "rw--"},
    "otc.dunning.communication.line": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.dunning.level": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.dunning.policy": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.dunning.run": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "rwc-"},
    "otc.dunning.run.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "rwc-"},
    "otc.dunning.run.wizard.line": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "rwc-"},
    "otc.payment.prediction": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.payment.request": {"portal": "r---", "salesman": "----", "clerk": "r---", "collector": "rwc-"},
    "otc.payment.request.line": {"portal": "r---", "salesman": "----", "clerk": "r---", "collector": "rwc-"},
    "otc.payment.request.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "rwc-"},
    "otc.picking.hold.release.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "----"},
    "otc.promise": {"portal": "r---", "salesman": "----", "clerk": "r---", "collector": "rwc-"},
    "otc.receivable.alert": {"portal": "----", "salesman": "----", "clerk": "rw--", "collector": "rw--"},
    "otc.receivable.kpi": {"portal": "----", "salesman": "rwc-", "clerk": "rwc-", "collector": "rwc-"},
    "otc.receivable.month": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.receivable.snapshot": {"portal": "----", "salesman": "r---", "clerk": "r---", "collector": "r---"},
    "otc.remittance": {"portal": "----", "salesman": "----", "clerk": "rwcu", "collector": "rwcu"},
    "otc.remittance.import": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.remittance.line": {"portal": "----", "salesman": "----", "clerk": "rwcu", "collector": "rwcu"},
    "otc.remittance.mapping": {"portal": "----", "salesman": "----", "clerk": "rwcu", "collector": "rwcu"},
    "otc.return": {"portal": "r---", "salesman": "rwc-", "clerk": "rwc-", "collector": "rwc-"},
    "otc.return.analysis": {"portal": "----", "salesman": "----", "clerk": "r---", "collector": "r---"},
    "otc.return.line": {"portal": "r---", "salesman": "rwcu", "clerk": "rwcu", "collector": "rwcu"},
    "otc.return.reason": {"portal": "r---", "salesman": "r---", "clerk": "r---", "collector": "r---"},
    "otc.return.refuse.wizard": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.statement.wizard": {"portal": "----", "salesman": "----", "clerk": "rwc-", "collector": "rwc-"},
    "otc.worklist": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "r---"},
    "otc.worklist.log.wizard": {"portal": "----", "salesman": "----", "clerk": "----", "collector": "rwc-"},
}  # fmt: skip

# Fields the suite adds to Odoo's models that the portal shows by design
# (the company's portal settings; the aging buckets of the statements).
PORTAL_READABLE = {
    ("res.company", "otc_aging_buckets"),
    ("res.company", "otc_promise_grace_days"),
    ("res.company", "otc_portal_show_credit"),
    ("res.company", "otc_portal_promise_horizon"),
    ("res.company", "otc_portal_request_validity"),
    ("sale.order", "otc_company_currency_id"),
    ("payment.transaction", "otc_payment_request_id"),
}


def suite_models(env):
    """Every concrete model the suite defines (wizards and SQL views too)."""
    return sorted(
        name
        for name, model in env.registry.items()
        if not model._abstract and model._original_module in SUITE_MODULES
    )


@tagged("post_install", "-at_install")
class TestAccessMatrix(OtcPortalCommon):
    """Walks every model of the suite for the portal user, the salesperson,
    the AR clerk and the collector, and every field the suite adds to Odoo's
    models, asserting what each may read and write."""

    def users(self):
        return {
            "portal": self.portal_user,
            "salesman": self.salesman,
            "clerk": self.clerk,
            "collector": self.collector,
        }

    def test_every_model_has_its_expectations(self):
        self.assertEqual(
            suite_models(self.env),
            sorted(ACCESS),
            "each model of the suite needs its line in ACCESS",
        )

    def test_model_access(self):
        for model, expected in ACCESS.items():
            for key, user in self.users().items():
                records = self.env[model].with_user(user)
                got = "".join(
                    letter if records.has_access(operation) else "-"
                    for letter, operation in zip("rwcu", OPERATIONS, strict=True)
                )
                with self.subTest(model=model, user=key):
                    self.assertEqual(got, expected[key])

    def test_internal_fields_on_odoo_models(self):
        """Every field the suite adds to a model the portal user reads (its
        partner, orders, invoices, company...) is internal unless the portal
        shows it by design; the AR team reads them."""
        portal = self.portal_user
        checked = []
        for name in sorted(self.env.registry):
            Model = self.env[name]
            if (
                Model._abstract
                or Model._original_module in SUITE_MODULES
                or not Model.with_user(portal).has_access("read")
            ):
                continue
            for fname, field in Model._fields.items():
                if (
                    field._module not in SUITE_MODULES
                    or (name, fname) in PORTAL_READABLE
                ):
                    continue
                checked.append((name, fname))
                with self.subTest(model=name, field=fname):
                    with self.assertRaises(AccessError):
                        Model.with_user(portal).check_field_access_rights(
                            "read", [fname]
                        )
                    for key in ("clerk", "collector"):
                        Model.with_user(self.users()[key]).check_field_access_rights(
                            "read", [fname]
                        )
        self.assertIn(("res.partner", "otc_credit_hold_reason"), checked)
        self.assertIn(("sale.order", "otc_credit_state"), checked)
        self.assertIn(("account.move", "otc_dispute_ids"), checked)

    def test_portal_user_reads_no_credit_data_of_its_customer(self):
        self.set_credit(self.customer, 5000.0)
        self.customer.with_company(self.company)._otc_set_hold("INTERNAL: slow payer")
        customer = self.customer.with_user(self.portal_user)
        for fname in (
            "otc_credit_hold",
            "otc_credit_hold_reason",
            "otc_exposure",
            "otc_available_credit",
            "otc_credit_status",
            "otc_dunning_level",
            "credit_limit",
        ):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                customer.read([fname])
        # The fields a portal user may read of a partner leave them out.
        readable = customer.check_field_access_rights("read", None)
        self.assertIn("name", readable)
        self.assertFalse([name for name in readable if name.startswith("otc_")])
        self.assertNotIn("INTERNAL", str(customer.read(["name", "display_name"])))
        # Its invoice, without the disputes.
        with self.assertRaises(AccessError):
            self.inv_old.with_user(self.portal_user).read(["otc_dispute_ids"])

    def test_salesperson_clerk_collector_on_credit_terms(self):
        """Who may change a customer's credit terms: none of the four."""
        for key in ("salesman", "clerk", "collector"):
            customer = self.customer.with_user(self.users()[key]).with_company(
                self.company
            )
            with self.subTest(user=key):
                self.assertIn(
                    customer.otc_credit_status,
                    ("ok", "near", "overdue", "over", "hold"),
                )
                with self.assertRaises(AccessError):
                    customer.write({"otc_credit_policy": "warn"})
                with self.assertRaises(AccessError):
                    customer.write({"otc_credit_hold": False})


@tagged("post_install", "-at_install")
class TestSuiteMultiCompany(OtcPortalCommon):
    def test_every_model_has_a_company_and_a_company_rule(self):
        """Every model of the suite that keeps data (wizards aside) has a
        stored company and a multi-company record rule on it."""
        Rule = self.env["ir.rule"].sudo()
        missing = []
        for name in suite_models(self.env):
            Model = self.env[name]
            if Model._transient:
                continue
            field = Model._fields.get("company_id")
            if not (field and field.store and field.comodel_name == "res.company"):
                missing.append(f"{name}: no stored company_id")
                continue
            rules = Rule.search(
                [("model_id.model", "=", name), ("global", "=", True)]
            ).filtered(
                lambda r: (
                    "company_id" in (r.domain_force or "")
                    and "company_ids" in (r.domain_force or "")
                )
            )
            if not rules:
                missing.append(f"{name}: no multi-company record rule")
        self.assertFalse(missing, "\n".join(missing))
