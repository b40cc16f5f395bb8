/** @odoo-module **/
/* Live totals of the portal's payment and promise forms. The server checks
 * everything again: these scripts only help the customer see what it is
 * about to pay. */

import publicWidget from "@web/legacy/js/public/public_widget";

function toCents(value, decimals) {
    const number = parseFloat(value);
    return Number.isFinite(number) ? Math.round(number * 10 ** decimals) : 0;
}

function formatAmount(cents, decimals, symbol, position) {
    const text = (Math.abs(cents) / 10 ** decimals).toLocaleString(undefined, {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
    });
    const signed = cents < 0 ? `-${text}` : text;
    return position === "before" ? `${symbol}\u00a0${signed}` : `${signed}\u00a0${symbol}`;
}

/* The customer's choice on the invoices-to-pay page, kept in the browser's
 * session storage so that it survives going from page to page of a long list:
 * {document id: {amount: "123.45", credit: bool}}. */
function readChoice(key) {
    try {
        return JSON.parse(sessionStorage.getItem(key) || "{}");
    } catch {
        return {};
    }
}

publicWidget.registry.OtcPortalPay = publicWidget.Widget.extend({
    selector: ".otc_pay_form",
    events: {
        "change .otc_pay_check": "_onChange",
        "input .otc_pay_amount": "_onAmountInput",
        "change .otc_select_all": "_onSelectAll",
        submit: "_onSubmit",
    },

    start() {
        this.decimals = parseInt(this.el.dataset.decimals || "2");
        this.symbol = this.el.dataset.currencySymbol || "";
        this.position = this.el.dataset.currencyPosition || "after";
        this.storageKey = this.el.dataset.storageKey;
        this.choice = readChoice(this.storageKey);
        for (const row of this._rows()) {
            const check = row.querySelector(".otc_pay_check");
            const stored = this.choice[row.dataset.id];
            if (check.checked || check.disabled) {
                // what the server rendered (after a refused form) wins
                continue;
            }
            if (stored) {
                check.checked = true;
                row.querySelector(".otc_pay_amount").value = stored.amount;
            }
        }
        this._update();
        this.el.classList.add("otc_ready");
        return this._super(...arguments);
    },

    _rows() {
        return this.el.querySelectorAll(".otc_pay_row");
    },

    _onSelectAll(ev) {
        for (const check of this.el.querySelectorAll(".otc_pay_check:not(:disabled)")) {
            check.checked = ev.currentTarget.checked;
        }
        this._update();
    },

    _onAmountInput(ev) {
        const row = ev.currentTarget.closest(".otc_pay_row");
        const check = row.querySelector(".otc_pay_check");
        if (!check.disabled && ev.currentTarget.value !== "") {
            check.checked = true;
        }
        this._update();
    },

    _onChange() {
        this._update();
    },

    _onSubmit() {
        // The documents chosen on other pages go with the form.
        const onPage = new Set([...this._rows()].map((row) => row.dataset.id));
        for (const [id, entry] of Object.entries(this.choice)) {
            if (onPage.has(id)) {
                continue;
            }
            for (const [name, value] of [
                [`doc_${id}`, "on"],
                [`amount_${id}`, entry.amount],
            ]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                this.el.appendChild(input);
            }
        }
    },

    _update() {
        for (const row of this._rows()) {
            const check = row.querySelector(".otc_pay_check");
            if (check.checked) {
                this.choice[row.dataset.id] = {
                    amount: row.querySelector(".otc_pay_amount").value,
                    credit: row.classList.contains("otc_credit_note"),
                };
            } else {
                delete this.choice[row.dataset.id];
            }
        }
        sessionStorage.setItem(this.storageKey, JSON.stringify(this.choice));
        let invoices = 0;
        let credits = 0;
        const entries = Object.values(this.choice);
        for (const entry of entries) {
            const cents = toCents(entry.amount, this.decimals);
            if (entry.credit) {
                credits += cents;
            } else {
                invoices += cents;
            }
        }
        const format = (cents) => formatAmount(cents, this.decimals, this.symbol, this.position);
        this.el.querySelector(".otc_total_count").textContent = String(entries.length);
        this.el.querySelector(".otc_total_invoices").textContent = format(invoices);
        this.el.querySelector(".otc_total_credits").textContent = format(-credits);
        this.el.querySelector(".otc_total_charge").textContent = format(invoices - credits);
        const total = this.el.querySelector(".otc_total_input");
        total.placeholder = ((invoices - credits) / 10 ** this.decimals).toFixed(this.decimals);
    },
});

/* On the payment page, the choice has been made: forget it. */
publicWidget.registry.OtcPortalPaymentRequest = publicWidget.Widget.extend({
    selector: ".otc_payment_request",

    start() {
        for (const key of Object.keys(sessionStorage)) {
            if (key.startsWith("otc_pay_selection_")) {
                sessionStorage.removeItem(key);
            }
        }
        return this._super(...arguments);
    },
});

publicWidget.registry.OtcPortalPromise = publicWidget.Widget.extend({
    selector: ".otc_promise_form",
    events: {
        "change .otc_promise_check": "_onChange",
    },

    start() {
        this.el.classList.add("otc_ready");
        return this._super(...arguments);
    },

    _onChange() {
        let total = 0;
        let decimals = 2;
        for (const check of this.el.querySelectorAll(".otc_promise_check:checked")) {
            const value = check.dataset.residual || "0";
            decimals = (value.split(".")[1] || "").length;
            total += toCents(value, decimals);
        }
        this.el.querySelector("#otc_promise_amount").value = total
            ? (total / 10 ** decimals).toFixed(decimals)
            : "";
    },
});

publicWidget.registry.OtcPortalDispute = publicWidget.Widget.extend({
    selector: ".otc_dispute_form",
    events: {
        "change input[name='scope']": "_onScope",
        "focus #otc_dispute_amount": "_onAmountFocus",
    },

    start() {
        this._onScope();
        this.el.classList.add("otc_ready");
        return this._super(...arguments);
    },

    _onScope() {
        const partial = this.el.querySelector("#otc_scope_partial").checked;
        this.el.querySelector("#otc_dispute_amount").classList.toggle("opacity-50", !partial);
    },

    _onAmountFocus() {
        this.el.querySelector("#otc_scope_partial").checked = true;
        this._onScope();
    },
});
