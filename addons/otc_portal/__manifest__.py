# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Order to Cash - Customer Portal",
    "summary": "Customer portal pages of the Order-to-Cash suite",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/otc-suite/order-to-cash",
    "author": "Order-to-Cash Suite contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["otc_collections", "portal"],
    "data": [],
}
