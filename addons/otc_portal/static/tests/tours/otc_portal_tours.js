/** @odoo-module **/
/* Customer portal tours, run by tests/test_portal_tours.py in Chromium. */

import { registry } from "@web/core/registry";

function payWithDemo() {
    return [
        {
            content: "The payment form offers the demo provider",
            trigger: "input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter test card details",
            trigger: "#customer_input",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the request, paid",
            trigger: ".otc_request_paid",
            timeout: 30000,
        },
    ];
}

registry.category("web_tour.tours").add("otc_portal_pay_three", {
    url: "/my/balance/pay",
    steps: () => [
        {
            content: "The page's script is ready",
            trigger: ".otc_pay_form.otc_ready",
        },
        {
            content: "Tick the oldest invoice",
            trigger: ".otc_pay_table tbody tr:nth-child(1) .otc_pay_check",
            run: "click",
        },
        {
            content: "Tick the second invoice",
            trigger: ".otc_pay_table tbody tr:nth-child(2) .otc_pay_check",
            run: "click",
        },
        {
            content: "Tick the invoice not yet due (row 3 is a credit note)",
            trigger: ".otc_pay_table tbody tr:nth-child(4) .otc_pay_check",
            run: "click",
        },
        {
            content: "The total adds the three invoices",
            trigger: ".otc_total_charge:contains('1,800.00')",
        },
        {
            trigger: ".otc_total_count:contains('3')",
        },
        {
            content: "Continue to payment",
            trigger: ".otc_pay_continue",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The payment page lists the three invoices",
            trigger: ".otc_request_lines tbody:has(tr:nth-child(3)):not(:has(tr:nth-child(4)))",
        },
        {
            trigger: ".otc_request_amount:contains('1,800.00')",
        },
        ...payWithDemo(),
    ],
});

registry.category("web_tour.tours").add("otc_portal_dispute_partial", {
    steps: () => [
        {
            trigger: ".otc_dispute_form.otc_ready",
        },
        {
            content: "Choose the reason",
            trigger: "select#otc_reason",
            run: "selectByIndex 1",
        },
        {
            content: "Only part of the invoice",
            trigger: "#otc_scope_partial",
            run: "click",
        },
        {
            trigger: "#otc_dispute_amount",
            run: "edit 120",
        },
        {
            trigger: "#otc_message",
            run: "edit Two boxes were missing from the delivery.",
        },
        {
            content: "Attach the delivery note",
            trigger: "#otc_attachments",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(
                    new File(["Delivery note: 2 boxes missing"], "delivery_note.txt", {
                        type: "text/plain",
                    })
                );
                this.anchor.files = transfer.files;
            },
        },
        {
            content: "Send",
            trigger: ".otc_dispute_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The dispute is registered",
            trigger: ".otc_dispute_created",
        },
        {
            trigger: ".otc_dispute_amount:contains('120.00')",
        },
        {
            content: "Its conversation shows the message and the file",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains('Two boxes were missing')",
            timeout: 20000,
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-AttachmentCard:contains('delivery_note.txt')",
            timeout: 20000,
        },
    ],
});

registry.category("web_tour.tours").add("otc_portal_promise", {
    url: "/my/balance/promise",
    steps: () => [
        {
            trigger: ".otc_promise_form.otc_ready",
        },
        {
            content: "Tick the oldest invoice",
            trigger: ".otc_promise_line:first-child .otc_promise_check",
            run: "click",
        },
        {
            content: "The amount is filled in",
            trigger: "#otc_promise_amount",
            run() {
                if (this.anchor.value !== "1000.00") {
                    throw new Error(`amount ${this.anchor.value}, expected 1000.00`);
                }
            },
        },
        {
            content: "Promise a date next week",
            trigger: "#otc_promise_date",
            run() {
                const date = new Date(Date.now() + 7 * 86400000);
                this.anchor.value = date.toISOString().slice(0, 10);
            },
        },
        {
            trigger: ".otc_promise_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The promise is registered and open",
            trigger: ".otc_promise_created",
        },
        {
            trigger: ".otc_promise_row .otc_promise_state:contains('Open')",
        },
    ],
});

registry.category("web_tour.tours").add("otc_portal_statement", {
    url: "/my/balance/statement",
    steps: () => [
        {
            content: "Choose the period",
            trigger: "#otc_date_from",
            run() {
                const date = new Date(Date.now() - 200 * 86400000);
                this.anchor.value = date.toISOString().slice(0, 10);
            },
        },
        {
            content: "Download the statement as PDF and as Excel",
            trigger: ".otc_statement_pdf",
            async run() {
                const form = document.querySelector(".otc_statement_form");
                for (const [format, type] of [
                    ["pdf", "application/pdf"],
                    ["xlsx", "spreadsheetml"],
                ]) {
                    const params = new URLSearchParams(new FormData(form));
                    params.set("file_format", format);
                    const response = await fetch(`${form.action}?${params}`);
                    const contentType = response.headers.get("Content-Type") || "";
                    const disposition = response.headers.get("Content-Disposition") || "";
                    if (!response.ok || !contentType.includes(type) || !disposition.includes("attachment")) {
                        throw new Error(`statement ${format}: ${response.status} ${contentType}`);
                    }
                    const bytes = new Uint8Array(await response.arrayBuffer());
                    if (bytes.length < 100) {
                        throw new Error(`statement ${format} is empty`);
                    }
                }
                document.body.classList.add("otc_statement_downloaded");
            },
        },
        {
            trigger: "body.otc_statement_downloaded",
        },
    ],
});

registry.category("web_tour.tours").add("otc_portal_request_link", {
    steps: () => [
        {
            content: "The request lists its documents, logged out",
            trigger: ".otc_request_lines",
        },
        {
            trigger: ".otc_request_message:contains('Thank you for settling')",
        },
        ...payWithDemo(),
    ],
});
