# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Order to Cash - Customer Portal",
    "summary": "Customers see their account, pay many invoices at once, download "
    "statements, dispute invoices and promise to pay on the portal",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/otc-suite/order-to-cash",
    "author": "Order-to-Cash Suite contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["otc_collections", "portal", "account_payment", "sale"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/ir.model.access.csv",
        "security/otc_portal_security.xml",
        "data/ir_sequence_data.xml",
        "data/mail_template_data.xml",
        "views/otc_payment_request_views.xml",
        "wizards/otc_payment_request_wizard_views.xml",
        "wizards/otc_dispute_reject_wizard_views.xml",
        "views/otc_dispute_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/otc_worklist_views.xml",
        "views/portal_templates.xml",
        "views/sale_portal_templates.xml",
        "views/portal_return_templates.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/otc_portal_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "otc_portal/static/src/js/otc_portal.js",
        ],
        "web.assets_tests": [
            "otc_portal/static/tests/tours/*.js",
        ],
    },
}
