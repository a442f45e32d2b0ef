import { registry } from "@web/core/registry";

// A rep sends a quotation above the tier's amount limit: it goes to the supervisor instead.
registry.category("web_tour.tours").add("trade_crm_tiering_quote_send", {
    steps: () => [
        {
            content: "The quotation says why it needs approval",
            trigger: ".o_form_view .alert-warning:contains(above the)",
        },
        {
            content: "Send it by email",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_quotation_send]:contains(Send)",
            run: "click",
        },
        {
            content: "It is sent for approval, not to the customer",
            trigger: ".o_notification:contains(sent for approval to)",
        },
        {
            content: "It now waits for the supervisor",
            trigger: ".o_form_view .alert-warning:contains(waits for the approval of)",
        },
    ],
});

// The supervisor approves it on the quotation.
registry.category("web_tour.tours").add("trade_crm_tiering_quote_approve", {
    steps: () => [
        {
            content: "Approve the quotation",
            trigger: ".o_form_view button[name=action_approve_discount]",
            run: "click",
        },
        {
            content: "The quotation is approved",
            trigger: ".o_form_view div[name=tiering_discount_approval_state]:contains(Approved)",
        },
    ],
});

// A rep prints the same kind of quotation: printing asks for the approval too, nothing is printed.
registry.category("web_tour.tours").add("trade_crm_tiering_quote_print", {
    steps: () => [
        {
            content: "Open the actions menu",
            trigger: ".o_form_view .o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            content: "Open the print menu",
            trigger: ".o-dropdown--menu button:contains(Print)",
            run: "click",
        },
        {
            content: "Print the quotation",
            trigger: ".o-dropdown--menu .o_menu_item:contains(Quotation / Order)",
            run: "click",
        },
        {
            content: "It is sent for approval instead",
            trigger: ".o_notification:contains(sent for approval to):contains(printed once approved)",
        },
        {
            content: "It now waits for the supervisor",
            trigger: ".o_form_view .alert-warning:contains(waits for the approval of)",
        },
    ],
});
