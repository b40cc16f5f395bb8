/** @odoo-module **/
// Browser tour of the Receivables Dashboard, started by tests/test_tours.py
// with an overdue customer "Tour Dashboard Payer".
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("otc_receivables_dashboard_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("otc_order_to_cash.otc_menu_root", "Open Order to Cash"),
        {
            content: "Open the Reporting menu",
            trigger: ".o_menu_sections [data-menu-xmlid='otc_order_to_cash.otc_menu_reporting']",
            run: "click",
        },
        {
            content: "Open the dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='otc_collections.otc_receivables_dashboard_menu']",
            run: "click",
        },
        {
            content: "The KPI cards are shown",
            trigger: ".o_otc_dashboard .o_otc_card[data-key='dso'] .o_otc_card_value",
        },
        {
            content: "The charts are drawn",
            trigger: ".o_otc_dashboard canvas.o_otc_aging_chart",
        },
        {
            content: "Filter on a customer tag",
            trigger: ".o_otc_filter_tag input",
            run: "edit Tour Late Payers",
        },
        {
            content: "Pick the tag",
            trigger: ".o-autocomplete--dropdown-item a:contains('Tour Late Payers')",
            run: "click",
        },
        {
            content: "Only the tagged customer is left among the most overdue",
            trigger: ".o_otc_top_overdue tbody:not(:has(tr:contains('Tour Dashboard Other'))) tr:contains('Tour Dashboard Payer')",
        },
        {
            content: "Drill down into the most overdue customer",
            trigger: ".o_otc_top_overdue tr:contains('Tour Dashboard Payer')",
            run: "click",
        },
        {
            content: "Its open receivable items are listed",
            trigger: ".o_list_view .o_data_row:contains('Tour Dashboard Payer')",
        },
    ],
});
