import { registry } from "@web/core/registry";

// A general manager opens the portfolio dashboard of a company with two customers (data from the
// Python test): 600,000 and 150,000 USD over the grading basis.
registry.category("web_tour.tours").add("trade_crm_tiering_portfolio_dashboard", {
    steps: () => [
        {
            content: "The largest customer makes 80% of revenue: critical",
            trigger: ".o_tct_kpi[data-kpi=top1] .o_tct_kpi_value:contains(80.0%)",
        },
        {
            trigger: ".o_tct_kpi[data-kpi=top1] .o_tct_band:contains(Critical)",
        },
        {
            content: "Half of the customers make 80% of revenue",
            trigger: ".o_tct_kpi[data-kpi=pareto] .o_tct_kpi_value:contains(50.0%)",
        },
        {
            content: "The revenue over the grading basis",
            trigger: ".o_tct_kpi[data-kpi=revenue]:contains(2 customers with revenue)",
        },
        {
            content: "The largest customers, largest first",
            trigger: ".o_tct_top_customer:first .o_tct_customer_name:contains(Tour Timber Giant)",
        },
        {
            content: "The rep's workload",
            trigger: ".o_tct_rep:contains(Tina Tour Rep)",
        },
        {
            content: "The migration panel covers the last 12 months by default, its dates apart from its name",
            trigger: ".o_tct_migration .o_tct_period_title",
            run() {
                const text = this.anchor.textContent;
                if (!/^Grade migration: Last 12 months \(\S+ - \S+\)$/.test(text)) {
                    throw new Error(`Unexpected migration title: ${text}`);
                }
            },
        },
        {
            content: "The shares under the bars say what they are",
            trigger: ".o_tct_grades_legend:contains(share of revenue)",
        },
        {
            content: "The monthly figures' time is formatted for the user, not ISO",
            trigger: ".o_tct_refreshed",
            run() {
                const text = this.anchor.textContent;
                if (!text || /\d{4}-\d{2}-\d{2}/.test(text)) {
                    throw new Error(`Unexpected refresh time: ${text}`);
                }
            },
        },
        {
            content: "The Pareto of margin: one of the two customers makes 80% of it",
            trigger: ".o_tct_margin_pareto .o_tct_kpi_value:contains(50.0%)",
        },
        {
            content: "The deal cycle says what it measures",
            trigger: ".o_tct_cycle_basis:contains(From a lead's creation to its win)",
        },
        {
            content: "Repurchase at three stars: one buyer, who bought once",
            trigger: ".o_tct_repurchase_row[data-star='3'] .o_tct_rate:contains(0.0%)",
        },
        {
            trigger: ".o_tct_repurchase_row[data-star='3'] .o_tct_buyers:contains(1)",
            run: "click",
        },
        {
            content: "The buyers of the period, as a list",
            trigger: ".o_breadcrumb .active:contains(Buyers of the Period)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Timber Giant)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Portfolio Dashboard)",
            run: "click",
        },
        {
            content: "The early warnings open their list",
            trigger: ".o_tct_early_warnings:contains(early warnings)",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb .active:contains(Early Warnings)",
        },
        {
            content: "Its empty list explains itself (the action's help is HTML, not text)",
            trigger: ".o_list_view .o_view_nocontent_smiling_face:contains(No open warning)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Portfolio Dashboard)",
            run: "click",
        },
        {
            content: "The rep's customers",
            trigger: ".o_tct_rep a:contains(Tina Tour Rep)",
            run: "click",
        },
        {
            content: "The drill-down is titled with the rep's name",
            trigger: ".o_breadcrumb .active:contains(Customers of Tina Tour Rep)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Timber Giant)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Portfolio Dashboard)",
            run: "click",
        },
        {
            content: "One customer at three stars: open it",
            trigger: ".o_tct_grade[data-star='3'] .o_tct_grade_count:contains(1)",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Timber Giant)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Portfolio Dashboard)",
            run: "click",
        },
        {
            content: "Look at the grade migration of last year",
            trigger: ".o_tct_period",
            run: "select last_year",
        },
        {
            trigger: ".o_tct_migration .card-header:contains(Last year)",
        },
        {
            content: "The largest customer opens its form",
            trigger: ".o_tct_top_customer:first",
            run: "click",
        },
        {
            trigger: ".o_form_view",
        },
        {
            trigger: ".o_breadcrumb:contains(Tour Timber Giant)",
        },
    ],
});
