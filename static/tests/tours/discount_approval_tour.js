import { registry } from "@web/core/registry";

// A rep's quotation gives more discount than the customer's tier allows (data from the Python test).
registry.category("web_tour.tours").add("trade_crm_tiering_ask_discount", {
    steps: () => [
        {
            content: "The quotation says the discount needs approval",
            trigger: ".o_form_view .alert-warning:contains(more than the 5%)",
        },
        {
            content: "Ask for it",
            trigger: ".o_form_view button[name=action_request_discount_approval]",
            run: "click",
        },
        {
            content: "It now waits for the supervisor",
            trigger: ".o_form_view .alert-warning:contains(waits for the approval of)",
        },
    ],
});

// The supervisor approves it from the activity menu.
registry.category("web_tour.tours").add("trade_crm_tiering_approve_discount", {
    steps: () => [
        {
            content: "Open the activity menu",
            trigger: ".o_menu_systray i[aria-label=Activities]",
            run: "click",
        },
        {
            content: "Open the orders waiting for me",
            trigger: ".o-mail-ActivityGroup[data-model_name='sale.order']",
            run: "click",
        },
        {
            content: "Open the quotation",
            trigger: ".o_data_row:contains(Discount Tour Traders) td[name=name]",
            run: "click",
        },
        {
            content: "Approve the discount",
            trigger: ".o_form_view button[name=action_approve_discount]",
            run: "click",
        },
        {
            content: "The discount is approved",
            trigger: ".o_form_view div[name=tiering_discount_approval_state]:contains(Approved)",
        },
    ],
});
