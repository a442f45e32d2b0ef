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
