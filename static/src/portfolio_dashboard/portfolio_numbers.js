import { patch } from "@web/core/utils/patch";
import { PortfolioDashboard } from "./portfolio_dashboard";

/**
 * The manager's numbers (repurchase, lead sources, deal cycle, margin by country, reps, margin
 * Pareto, grade trend): their links carry the period the dashboard shows.
 */
patch(PortfolioDashboard.prototype, {
    openNumber(kind, params = {}) {
        return this.open(kind, { period: this.state.period, ...params });
    },
});
