import { registry } from "@web/core/registry";

// The customer is graded by the Python test that starts this tour.
registry.category("web_tour.tours").add("trade_crm_tiering_customer_grade", {
    url: "/odoo/action-account.res_partner_action_customer",
    steps: () => [
        {
            content: "Look the graded customer up",
            trigger: ".o_searchview_input",
            run: "edit Tour Timber Importers",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Its card shows three stars",
            trigger: ".o_kanban_record:contains(Tour Timber Importers) div[name=tiering_star_grade] .o_priority_star:eq(2).fa-star",
        },
        {
            content: "Open the customer",
            trigger: ".o_kanban_record:contains(Tour Timber Importers)",
            run: "click",
        },
        {
            content: "The form shows three stars...",
            trigger: ".o_form_view div[name=tiering_star_grade] .o_priority_star:eq(2).fa-star",
        },
        {
            content: "...and not four",
            trigger: ".o_form_view div[name=tiering_star_grade] .o_priority_star:eq(3).fa-star-o",
        },
        {
            content: "It is a key account",
            trigger: ".o_form_view div[name=tiering_grade_category]:contains(Key Account)",
        },
        {
            content: "The grade history lists the upgrade",
            trigger: ".o_form_view button[name=action_view_grade_history]:contains(1)",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Timber Importers)",
        },
    ],
});
