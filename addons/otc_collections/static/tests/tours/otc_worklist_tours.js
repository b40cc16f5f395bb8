/** @odoo-module **/
// Browser tour of the collector's worklist, started by tests/test_tours.py
// with an overdue customer "Tour Late Payer" assigned to the collector.
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("otc_worklist_log_call_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("otc_order_to_cash.otc_menu_root", "Open Order to Cash"),
        {
            content: "Open the Collections menu",
            trigger: ".o_menu_sections [data-menu-xmlid='otc_collections.otc_collections_menu']",
            run: "click",
        },
        {
            content: "Open the worklist",
            trigger: ".dropdown-item[data-menu-xmlid='otc_collections.otc_worklist_menu']",
            run: "click",
        },
        {
            content: "Log a call with the late payer",
            trigger: ".o_list_view .o_data_row:contains('Tour Late Payer') button[name='action_log_call']",
            run: "click",
        },
        {
            content: "Write what was said",
            trigger: ".modal .o_field_widget[name='note'] textarea",
            run: "edit Promised to pay on Friday",
        },
        {
            content: "Log it",
            trigger: ".modal .modal-footer button[name='action_log']",
            run: "click",
        },
        {
            content: "The dialog closes, back on the worklist",
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row:contains('Tour Late Payer')",
        },
    ],
});
