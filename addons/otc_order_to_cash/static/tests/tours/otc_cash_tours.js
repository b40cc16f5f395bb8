/** @odoo-module **/
// Browser tour of the cash application review screen, started by
// tests/test_tours.py: a receipt of 410.00 that two customers could have paid.
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("otc_cash_accept_undo_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("otc_order_to_cash.otc_menu_root", "Open Order to Cash"),
        {
            content: "Open the Cash Application menu",
            trigger: ".o_menu_sections [data-menu-xmlid='otc_order_to_cash.otc_menu_cash']",
            run: "click",
        },
        {
            content: "Open Payments to Apply",
            trigger: ".dropdown-item[data-menu-xmlid='otc_order_to_cash.otc_cash_line_menu']",
            run: "click",
        },
        {
            content: "Open the receipt waiting for review",
            trigger: ".o_list_view .o_data_row td:contains('OTC TOUR PAYMENT')",
            run: "click",
        },
        {
            content: "Its candidates are listed with their reasons",
            trigger: ".o_field_widget[name='otc_suggestion_ids'] .o_data_row:contains('Tour Dupont')",
        },
        {
            content: "Accept the candidate of Tour Dupont",
            trigger:
                ".o_field_widget[name='otc_suggestion_ids'] .o_data_row:contains('Tour Dupont') button[name='action_accept']",
            run: "click",
        },
        {
            content: "The receipt is reconciled",
            trigger: ".o_form_view .ribbon:contains('Reconciled')",
        },
        {
            content: "Undo the reconciliation",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_otc_undo']",
            run: "click",
        },
        {
            content: "Confirm the undo",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The receipt can be applied again",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_otc_pick']",
        },
        {
            content: "It is no longer reconciled",
            trigger: ".o_form_view:not(:has(.ribbon:contains('Reconciled')))",
        },
    ],
});
