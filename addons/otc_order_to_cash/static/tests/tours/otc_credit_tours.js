/** @odoo-module **/
// Browser tours of credit management, started by tests/test_tours.py with
// the data that test creates (customer "OTC Tour Customer" over its limit).
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("otc_credit_request_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        {
            content: "Open the quotation of the customer over its limit",
            trigger: ".o_list_view .o_data_row td:contains('OTC Tour Customer')",
            run: "click",
        },
        {
            content: "Confirm it",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The salesperson is told it went to approval",
            trigger: ".o_notification:contains('Credit approval requested')",
        },
        {
            content: "The order says it waits for a Credit Manager",
            trigger: ".o_form_view .alert-info:contains('waits for a Credit Manager')",
        },
        {
            content: "It is still a quotation",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Quotation')",
        },
    ],
});

registry.category("web_tour.tours").add("otc_credit_approve_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("otc_order_to_cash.otc_menu_root", "Open Order to Cash"),
        {
            content: "Open the Credit menu",
            trigger: ".o_menu_sections [data-menu-xmlid='otc_order_to_cash.otc_menu_credit']",
            run: "click",
        },
        {
            content: "Open Credit Approvals",
            trigger: ".dropdown-item[data-menu-xmlid='otc_order_to_cash.otc_credit_approval_menu']",
            run: "click",
        },
        {
            content: "Open the pending request",
            trigger: ".o_list_view .o_data_row td:contains('OTC Tour Customer')",
            run: "click",
        },
        {
            content: "Approve it",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_approve']",
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Approved')",
        },
        {
            content: "Open the order from the request",
            trigger: ".o_form_view button[name='action_open_order']",
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Sales Order')",
        },
    ],
});
