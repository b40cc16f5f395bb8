/** @odoo-module **/
// Receivables Dashboard: KPI cards, aging, DSO trend, cash-in forecast and the
// customers to look at, from one call to otc.receivable.kpi.otc_dashboard_data.
// Every figure opens the records behind it; the filters (salesperson,
// collector, customer, customer tag, country) narrow the figures and the
// records they open alike.
import { Component, onWillStart, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { RecordSelector } from "@web/core/record_selectors/record_selector";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";

export class ReceivablesDashboard extends Component {
    static template = "otc_collections.ReceivablesDashboard";
    static props = ["*"];
    static components = { RecordSelector };
    static FILTERS = ["salesperson_id", "collector_id", "partner_id", "category_id", "country_id"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({
            data: null,
            dateFrom: "",
            dateTo: "",
            filters: Object.fromEntries(ReceivablesDashboard.FILTERS.map((name) => [name, false])),
        });
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
            filters: this.state.filters,
        });
        this.state.dateFrom = this.state.data.date_from;
        this.state.dateTo = this.state.data.date_to;
    }

    async onPeriodChange() {
        await this.load();
        this.renderCharts();
    }

    async onFilterChange(name, resId) {
        this.state.filters[name] = resId || false;
        await this.onPeriodChange();
    }

    /** Points of a card's sparkline (an SVG polyline 100 x 24), months without a value left out. */
    sparkPoints(values) {
        const known = values.filter((v) => v !== null && v !== undefined);
        if (known.length < 2) {
            return "";
        }
        const low = Math.min(...known);
        const span = Math.max(...known) - low || 1;
        const step = 100 / Math.max(values.length - 1, 1);
        return values
            .map((v, i) => (v === null || v === undefined ? null : `${(i * step).toFixed(1)},${(22 - ((v - low) / span) * 20).toFixed(1)}`))
            .filter(Boolean)
            .join(" ");
    }

    fmt(value, unit) {
        if (value === null || value === undefined || value === false) {
            return _t("n/a");
        }
        const digits = unit === "amount" ? 0 : 1;
        return formatFloat(value, { digits: [16, digits] }) + (unit === "%" ? " %" : "");
    }

    change(card) {
        if (card.change === null || card.change === undefined) {
            return "";
        }
        return (card.change >= 0 ? "+" : "") + formatFloat(card.change, { digits: [16, 1] });
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
                ...this.state.data.partner_domain,
                ...extraDomain,
            ],
        });
    }

    /** Domain of the filters on a model whose partner_id is the commercial partner. */
    commercialDomain() {
        return this.state.data.partner_domain.map(([path, op, value]) => [
            path.replace("partner_id.commercial_partner_id", "partner_id"),
            op,
            value,
        ]);
    }

    openDisputes(row) {
        const data = this.state.data;
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: row.name,
            res_model: "otc.dispute",
            views: [[false, "list"], [false, "form"]],
            domain: [
                ["company_id", "=", data.company_id],
                ["reason_id", "=", row.reason_id],
                "|",
                "&",
                ["create_date", ">=", data.date_from + " 00:00:00"],
                ["create_date", "<=", data.date_to + " 23:59:59"],
                "&",
                ["resolved_on", ">=", data.date_from + " 00:00:00"],
                ["resolved_on", "<=", data.date_to + " 23:59:59"],
                ...this.commercialDomain(),
            ],
        });
    }

    openReminders(row) {
        const data = this.state.data;
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Reminders of level %s", row.level),
            res_model: "otc.dunning.communication",
            views: [[false, "list"], [false, "form"]],
            domain: [
                ["company_id", "=", data.company_id],
                ["state", "=", "sent"],
                ["level_sequence", "=", row.level],
                ["date", ">=", data.date_from],
                ["date", "<=", data.date_to],
                ...this.commercialDomain(),
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
                    ...this.state.data.partner_domain,
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
                ...this.commercialDomain(),
            ],
        });
    }

    openCustomer(row) {
        return this.openItems(row.name, [["partner_id", "child_of", row.partner_id]]);
    }
}

registry.category("actions").add("otc_receivables_dashboard", ReceivablesDashboard);
