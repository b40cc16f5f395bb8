# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Order to Cash - Collections",
    "summary": "Collections workspace: overdue customers for the collectors",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/otc-suite/order-to-cash",
    "author": "Order-to-Cash Suite contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["otc_order_to_cash"],
    "data": [
        "views/otc_collections_menus.xml",
    ],
}
