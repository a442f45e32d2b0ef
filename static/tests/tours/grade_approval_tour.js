import { registry } from "@web/core/registry";

// A rep asks for 4 stars; the data (customer, users) comes from the Python test.
registry.category("web_tour.tours").add("trade_crm_tiering_request_grade", {
    steps: () => [
        {
            content: "Ask for a grade change from the customer",
            trigger: ".o_form_view button[name=action_request_grade_change]",
            run: "click",
        },
        {
            content: "Pick four stars",
            trigger: ".modal div[name=requested_star] .o_priority_star:eq(3)",
            run: "click",
        },
        {
            trigger: ".modal div[name=requested_star] .o_priority_star:eq(3).fa-star",
        },
        {
            content: "Say why",
            trigger: ".modal div[name=reason] textarea",
            run: "edit Opening a second showroom in Hamburg next spring",
        },
        {
            content: "Submit the request",
            trigger: ".modal button[name=action_submit]",
            run: "click",
        },
        {
            content: "The request is listed on the customer",
            trigger: "body:not(:has(.modal)) .o_form_view button[name=action_view_grade_requests]:contains(1)",
        },
    ],
});

// The supervisor approves it from the activity menu and sees the customer's new grade.
registry.category("web_tour.tours").add("trade_crm_tiering_approve_grade", {
    steps: () => [
        {
            content: "Open the activity menu",
            trigger: ".o_menu_systray i[aria-label=Activities]",
            run: "click",
        },
        {
            content: "Open the grade requests waiting for me",
            trigger: ".o-mail-ActivityGroup[data-model_name='trade.grade.request']",
            run: "click",
        },
        {
            content: "Open the request",
            trigger: ".o_data_row:contains(Hamburg Timber Tour) td[name=name]",
            run: "click",
        },
        {
            content: "The reason is there to judge",
            trigger: ".o_form_view div[name=reason]:contains(second showroom)",
        },
        {
            content: "Approve",
            trigger: ".o_form_view button[name=action_approve]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Approved)",
        },
        {
            content: "Open the customer",
            trigger: ".o_form_view div[name=partner_id] a",
            run: "click",
        },
        {
            content: "The customer shows four stars",
            trigger: ".o_form_view div[name=tiering_star_grade] .o_priority_star:eq(3).fa-star",
        },
        {
            trigger: ".o_form_view div[name=tiering_star_grade] .o_priority_star:eq(4).fa-star-o",
        },
    ],
});
