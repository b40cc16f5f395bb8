/** @odoo-module **/
// Receivables Dashboard: KPI cards, aging, DSO trend, cash-in forecast and the
// customers to look at, from one call to otc.receivable.kpi.otc_dashboard_data.
// Every figure opens the records behind it.
import { Component, onWillStart, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";

export class ReceivablesDashboard extends Component {
    static template = "otc_collections.ReceivablesDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, dateFrom: "", dateTo: "" });
        this.agingRef = useRef("aging");
        this.trendRef = useRef("trend");
        this.forecastRef = useRef("forecast");
        this.charts = [];
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load();
        });
        onMounted(() => this.renderCharts());
        onWillUnmount(() => this.destroyCharts());
    }

    async load() {
        this.state.data = await this.orm.call("otc.receivable.kpi", "otc_dashboard_data", [], {
            date_from: this.state.dateFrom || null,
            date_to: this.state.dateTo || null,
        });
        this.state.dateFrom = this.state.data.date_from;
        this.state.dateTo = this.state.data.date_to;
    }

    async onPeriodChange() {
        await this.load();
        this.renderCharts();
    }

    fmt(value, unit) {
        if (value === null || value === undefined || value === false) {
            return _t("n/a");
        }
        const digits = unit === "amount" ? 0 : 1;
        return formatFloat(value, { digits: [16, digits] }) + (unit === "%" ? " %" : "");
    }

    change(card) {
        if (card.previous === null || card.previous === undefined || card.value === null) {
            return "";
        }
        const delta = card.value - card.previous;
        return (delta >= 0 ? "+" : "") + formatFloat(delta, { digits: [16, 1] });
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        const data = this.state.data;
        if (!data) {
            return;
        }
        const onAgingClick = (event, elements) => {
            if (elements.length) {
                this.openBucket(data.aging[elements[0].index]);
            }
        };
        this.charts.push(
            new Chart(this.agingRef.el, {
                type: "bar",
                data: {
                    labels: data.aging.map((b) => b.label),
                    datasets: [{ label: _t("Open receivables"), data: data.aging.map((b) => b.amount) }],
                },
                options: { onClick: onAgingClick, plugins: { legend: { display: false } } },
            })
        );
        this.charts.push(
            new Chart(this.trendRef.el, {
                type: "line",
                data: {
                    labels: data.dso_trend.map((p) => p.date),
                    datasets: [{ label: _t("DSO"), data: data.dso_trend.map((p) => p.dso), spanGaps: true }],
                },
                options: { plugins: { legend: { display: false } } },
            })
        );
        const onForecastClick = (event, elements) => {
            if (elements.length) {
                this.openWeek(data.forecast[elements[0].index]);
            }
        };
        this.charts.push(
            new Chart(this.forecastRef.el, {
                type: "bar",
                data: {
                    labels: data.forecast.map((w) => w.week),
                    datasets: [
                        { type: "line", label: _t("High"), data: data.forecast.map((w) => w.high), fill: false },
                        { label: _t("Expected"), data: data.forecast.map((w) => w.expected) },
                        { type: "line", label: _t("Low"), data: data.forecast.map((w) => w.low), fill: false },
                    ],
                },
                options: { onClick: onForecastClick },
            })
        );
    }

    openItems(name, extraDomain = []) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: "account.move.line",
            views: [[false, "list"]],
            domain: [
                ["company_id", "=", this.state.data.company_id],
                ["account_type", "=", "asset_receivable"],
                ["parent_state", "=", "posted"],
                ["reconciled", "=", false],
                ...extraDomain,
            ],
        });
    }

    shiftDate(days) {
        const date = luxon.DateTime.fromISO(this.state.data.date_to).minus({ days });
        return date.toISODate();
    }

    openBucket(bucket) {
        const domain = [];
        if (bucket.low !== null && bucket.low !== undefined) {
            domain.push(["date_maturity", "<=", this.shiftDate(bucket.low)]);
        }
        if (bucket.high !== null && bucket.high !== undefined) {
            domain.push(["date_maturity", ">=", this.shiftDate(bucket.high)]);
        }
        return this.openItems(bucket.label, domain);
    }

    openCard(card) {
        if (["cei", "days_late"].includes(card.key)) {
            return this.action.doAction({
                type: "ir.actions.act_window",
                name: card.label,
                res_model: "account.move",
                views: [[false, "list"], [false, "form"]],
                domain: [
                    ["company_id", "=", this.state.data.company_id],
                    ["move_type", "=", "out_invoice"],
                    ["state", "=", "posted"],
                    ["payment_state", "in", ["paid", "in_payment", "partial"]],
                    ["invoice_date", "<=", this.state.data.date_to],
                ],
            });
        }
        return this.openItems(card.label);
    }

    openWeek(week) {
        const end = luxon.DateTime.fromISO(week.week).plus({ days: 6 }).toISODate();
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Expected in the week of %s", week.week),
            res_model: "otc.payment.prediction",
            views: [[false, "list"]],
            domain: [
                ["company_id", "=", this.state.data.company_id],
                ["predicted_date", ">=", week.week],
                ["predicted_date", "<=", end],
            ],
        });
    }

    openCustomer(row) {
        return this.openItems(row.name, [["partner_id", "child_of", row.partner_id]]);
    }
}

registry.category("actions").add("otc_receivables_dashboard", ReceivablesDashboard);
