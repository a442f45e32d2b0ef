import { registry } from "@web/core/registry";

// Data from tests/test_prospect_tour.py: the rep's prospect "Tour Lagos Timber" has a lead (from
// the "Tour Trade Fair" source) and no order; the nightly pass tiered it D and scored it.

registry.category("web_tour.tours").add("trade_crm_tiering_prospect_form", {
    steps: () => [
        {
            content: "Look the prospect up in the contacts",
            trigger: ".o_searchview_input",
            run: "edit Tour Lagos Timber",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open the prospect",
            trigger: ".o_kanban_record:contains(Tour Lagos Timber)",
            run: "click",
        },
        {
            content: "The form shows the developing tier",
            trigger: ".o_form_view div[name=tiering_service_tier_id]:contains(D Developing)",
        },
        {
            content: "...and when it was tiered",
            trigger: ".o_form_view div[name=tiering_date]",
            run() {
                if (!this.anchor.textContent.trim()) {
                    throw new Error("The prospect has no tiering date");
                }
            },
        },
        {
            content: "Its scores",
            trigger: ".o_form_view .o_notebook a.nav-link[name=tiering_scores]",
            run: "click",
        },
        {
            content: "Scored as a prospect, not from orders",
            trigger: ".o_form_view .o_notebook .tab-pane:contains(A prospect: scored every night)",
        },
        {
            content: "Its potential: ratings 100 and 50, 60,000 expected (40), probability 40, a lead (0)",
            trigger: ".o_form_view div[name=tiering_score_potential] .o_progressbar_value:contains(46)",
        },
        {
            trigger: ".o_form_view div[name=tiering_score] .o_progressbar_value",
        },
        {
            trigger: ".o_form_view div[name=tiering_value_class] .badge",
        },
    ],
});

registry.category("web_tour.tours").add("trade_crm_tiering_prospect_figures", {
    steps: () => [
        {
            content: "The lead-source conversion: the prospect's lead is open, Hamburg's won",
            trigger: ".o_tct_sources .o_tct_source:contains(Tour Trade Fair) .o_tct_rate:contains(50.0%)",
        },
        {
            content: "The deal cycle of 2 stars: Hamburg's lead, won 20 days after its creation",
            trigger: ".o_tct_cycle .o_tct_cycle_row[data-star='2'] td:nth-child(3):contains(20.0)",
        },
        {
            content: "The margin rate of Germany: 15,000 on 60,000",
            trigger: ".o_tct_margin .o_tct_margin_country:contains(Germany) .o_tct_rate:contains(25.0%)",
        },
        {
            content: "The rep's win rate...",
            trigger: ".o_tct_rep_numbers .o_tct_rep_number:contains(Ravi Rep) .o_tct_rate:contains(100.0%)",
        },
        {
            content: "...and median response time",
            trigger: ".o_tct_rep_numbers .o_tct_rep_number:contains(Ravi Rep) td:nth-child(6):contains(6.0)",
        },
        {
            content: "The Pareto of margin: the one customer with a margin",
            trigger: ".o_tct_margin_pareto .o_tct_kpi_value:contains(100.0%)",
        },
        {
            content: "The grade trend: Hamburg at 2 stars at the end of this quarter",
            trigger: ".o_tct_trend .o_tct_trend_row:last td[data-star='2'] a:contains(1)",
        },
        {
            content: "Open the leads of the trade fair",
            trigger: ".o_tct_source:contains(Tour Trade Fair) td:nth-child(2) a:contains(2)",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb .active:contains(Leads by Source)",
        },
        {
            content: "The prospect's lead is among them",
            trigger: ".o_list_view .o_data_row:contains(Inquiry from Tour Lagos Timber)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Hamburg order)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Portfolio Dashboard)",
            run: "click",
        },
        {
            content: "Open the customers at 2 stars at the end of this quarter",
            trigger: ".o_tct_trend .o_tct_trend_row:last td[data-star='2'] a",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb .active:contains(Grade at the End of)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Hamburg Holz AG)",
        },
    ],
});
