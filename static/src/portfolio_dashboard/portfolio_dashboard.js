import { Component, markup, onWillStart, useState } from "@odoo/owl";
import { formatCurrency } from "@web/core/currency";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { download } from "@web/core/network/download";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const MODEL = "trade.portfolio.dashboard";
const BAND_CLASSES = {
    low: "text-bg-success",
    moderate: "text-bg-info",
    high: "text-bg-warning",
    critical: "text-bg-danger",
};
const STATUS_CLASSES = {
    overloaded: "text-bg-danger",
    full: "text-bg-warning",
    room: "text-bg-success",
};

/**
 * The portfolio dashboard: concentration risk, Pareto, grades, grade migration and rep workload of
 * the current company, from one call to trade.portfolio.dashboard.get_data. Every figure links to
 * the customers behind it (the server builds those actions, with the user's scope).
 */
export class PortfolioDashboard extends Component {
    static template = "trade_crm_tiering.PortfolioDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({
            data: null,
            // The server's default period until the user picks one.
            period: this.props.state?.period || null,
            loading: false,
            busy: false,
        });
        useSetupAction({ getLocalState: () => ({ period: this.state.period }) });
        onWillStart(() => this.load());
    }

    get data() {
        return this.state.data;
    }

    async load() {
        this.state.loading = true;
        try {
            // Three calls at once: under workers each runs in its own, within its own 2 s.
            const period = this.state.period;
            const [data, numbers, responseMedians] = await Promise.all([
                this.orm.call(MODEL, "get_data", [], { period }),
                this.orm.call(MODEL, "get_numbers", [], { period }),
                this.orm.call(MODEL, "get_response_medians", []),
            ]);
            this.state.data = { ...data, numbers };
            this.state.period = data.period.key;
            this.state.responseMedians = responseMedians;
        } finally {
            this.state.loading = false;
        }
    }

    async onPeriodChange(ev) {
        this.state.period = ev.target.value;
        await this.load();
    }

    async open(kind, params = {}) {
        const action = await this.orm.call(MODEL, "action_open", [kind, params]);
        if (action.help) {
            // HTML from the action's record, as the action service marks it when it loads one.
            action.help = markup(action.help);
        }
        await this.actionService.doAction(action);
    }

    openTop(size) {
        const ids = this.data.top_customers.slice(0, size).map((customer) => customer.id);
        return this.open("customers", { partner_ids: ids });
    }

    openMigration(start, end) {
        return this.open("migration", { period: this.state.period, start_star: start, end_star: end });
    }

    async refresh() {
        this.state.busy = true;
        try {
            await this.orm.call(MODEL, "action_refresh", []);
            await this.load();
        } finally {
            this.state.busy = false;
        }
    }

    async exportXlsx() {
        this.state.busy = true;
        try {
            await download({
                url: "/trade_crm_tiering/portfolio/xlsx",
                data: { company_id: this.data.company.id, period: this.state.period },
            });
        } finally {
            this.state.busy = false;
        }
    }

    // ------------------------------------------------------------------
    // Formatting
    // ------------------------------------------------------------------

    money(value, humanReadable = true) {
        return formatCurrency(value || 0, this.data.currency.id, { humanReadable });
    }

    percent(value) {
        if (value === null || value === undefined || value === false) {
            return "-";
        }
        return `${formatFloat(value, { digits: [false, 1] })}%`;
    }

    /** A UTC datetime of the server, in the user's time zone and format, as the chatter shows dates. */
    datetime(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    decimal(value) {
        return value === null || value === undefined || value === false
            ? "-"
            : formatFloat(value, { digits: [false, 1] });
    }

    bandClass(band) {
        return BAND_CLASSES[band] || "text-bg-light";
    }

    statusClass(status) {
        return STATUS_CLASSES[status] || "text-bg-light";
    }

    get gradeScale() {
        return Math.max(1, ...this.data.grades.map((grade) => grade.customers));
    }

    barHeight(grade) {
        return `height: ${Math.max(2, Math.round((100 * grade.customers) / this.gradeScale))}%;`;
    }

    migrationClass(start, end, count) {
        if (!count) {
            return "text-muted";
        }
        if (end > start) {
            return "table-success";
        }
        return end < start ? "table-danger" : "table-light";
    }
}

registry.category("actions").add("trade_crm_tiering.portfolio_dashboard", PortfolioDashboard);
