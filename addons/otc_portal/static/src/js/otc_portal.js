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

publicWidget.registry.OtcPortalPay = publicWidget.Widget.extend({
    selector: ".otc_pay_form",
    events: {
        "change .otc_pay_check": "_onChange",
        "input .otc_pay_amount": "_onAmountInput",
        "change .otc_select_all": "_onSelectAll",
    },

    start() {
        this.decimals = parseInt(this.el.dataset.decimals || "2");
        this.symbol = this.el.dataset.currencySymbol || "";
        this.position = this.el.dataset.currencyPosition || "after";
        this._update();
        this.el.classList.add("otc_ready");
        return this._super(...arguments);
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

    _update() {
        let invoices = 0;
        let credits = 0;
        for (const row of this.el.querySelectorAll(".otc_pay_row")) {
            const check = row.querySelector(".otc_pay_check");
            if (!check.checked) {
                continue;
            }
            const cents = toCents(row.querySelector(".otc_pay_amount").value, this.decimals);
            if (row.classList.contains("otc_credit_note")) {
                credits += cents;
            } else {
                invoices += cents;
            }
        }
        const format = (cents) => formatAmount(cents, this.decimals, this.symbol, this.position);
        this.el.querySelector(".otc_total_invoices").textContent = format(invoices);
        this.el.querySelector(".otc_total_credits").textContent = format(-credits);
        this.el.querySelector(".otc_total_charge").textContent = format(invoices - credits);
        const total = this.el.querySelector(".otc_total_input");
        total.placeholder = ((invoices - credits) / 10 ** this.decimals).toFixed(this.decimals);
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
