/** @odoo-module **/
/* The customer requests a return from a delivered order; run by
   tests/test_portal_return.py in Chromium. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("otc_portal_return_request", {
    steps: () => [
        {
            content: "The delivered order offers a return",
            trigger: "a.otc_return_request_btn",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Two of the widgets go back",
            trigger: ".otc_return_form .otc_return_rows tbody tr:first-child .otc_return_qty",
            run: "edit 2",
        },
        {
            content: "Choose the reason",
            trigger: "select#otc_return_reason",
            run: "selectByLabel Defective",
        },
        {
            trigger: "#otc_return_comment",
            run: "edit Two arrived with a cracked leg.",
        },
        {
            content: "Attach a photo",
            trigger: "#otc_return_photos",
            run() {
                const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
                const transfer = new DataTransfer();
                transfer.items.add(new File([png], "cracked_leg.png", { type: "image/png" }));
                this.anchor.files = transfer.files;
            },
        },
        {
            content: "Send the request",
            trigger: ".otc_return_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The return is registered",
            trigger: ".otc_return_created",
        },
        {
            trigger: ".otc_return_state:contains('Requested')",
        },
        {
            trigger: ".otc_return_lines td:contains('Return Widget')",
        },
        {
            content: "Its conversation shows the photo",
            trigger: "#chatterRoot:shadow .o-mail-AttachmentCard:contains('cracked_leg.png'), #chatterRoot:shadow .o-mail-AttachmentImage",
            timeout: 20000,
        },
    ],
});
