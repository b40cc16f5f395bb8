# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="otc_portal_customer", groups="base.group_portal"
        )

    def test_module_installed(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("otc_portal", "portal"))]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})

    def test_portal_user_cannot_read_credit_control(self):
        CreditControl = self.env["otc.credit.control"].with_user(self.portal_user)
        with self.assertRaises(AccessError):
            CreditControl.search([], limit=1)
        record = self.env["otc.credit.control"].search([], limit=1)
        if record:
            with self.assertRaises(AccessError):
                record.with_user(self.portal_user).read(["id"])

    def test_portal_user_has_no_access_to_internal_models(self):
        """A portal user reads only the suite models its portal pages show
        (its own records, by record rules: see test_portal_security)."""
        Access = self.env["ir.model.access"].with_user(self.portal_user)
        models = [
            name
            for name, model in self.env.registry.items()
            if name.startswith("otc.") and not model._abstract
        ]
        self.assertIn("otc.credit.control", models)
        readable = {m for m in models if Access.check(m, "read", False)}
        self.assertEqual(
            readable,
            {
                "otc.dispute",
                "otc.dispute.reason",
                "otc.promise",
                "otc.payment.request",
                "otc.payment.request.line",
                "otc.return",
                "otc.return.line",
                "otc.return.reason",
            },
        )
        for operation in ("write", "create", "unlink"):
            self.assertFalse(
                [m for m in models if Access.check(m, operation, False)], operation
            )
