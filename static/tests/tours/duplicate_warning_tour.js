import { registry } from "@web/core/registry";

// The other rep's customer is created by the Python test that starts this tour.
registry.category("web_tour.tours").add("trade_crm_tiering_duplicate_warning", {
    url: "/odoo/action-base.action_partner_form/new",
    steps: () => [
        {
            content: "A new company",
            trigger: ".o_form_view .o_field_widget[name=company_type] input[data-value=company]",
            run: "click",
        },
        {
            // The form re-renders for a company once the server answers (the name widget changes, and
            // the individual's Job Position goes): edit the name only afterwards, or the edit is lost.
            content: "The form is a company's",
            trigger:
                ".o_form_view:has(.o_field_widget[name=company_type] input[data-value=company]:checked)" +
                ":not(:has(.o_field_widget[name=function]))",
        },
        {
            content: "Named like another rep's customer",
            // partner_autocomplete, when installed, makes the company name an input
            trigger: ".o_form_view .o_field_widget[name=name] :is(input, textarea)",
            run: "edit Acme Tour Trading GmbH",
        },
        {
            content: "Leave the name",
            trigger: ".o_form_view .o_field_widget[name=email] input",
            run: "click",
        },
        {
            content: "Before saving, the warning names the customer, its salesperson and its grade",
            trigger:
                ".o_trade_duplicate_warning:contains(Acme Tour Trading Ltd):contains(Olga Tour):contains(4 stars)",
        },
        {
            content: "Try to save anyway",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Refused: a customer of another rep",
            trigger: ".modal:contains(a customer of Olga Tour)",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Discard the duplicate",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "Nothing left unsaved",
            trigger: "body:not(:has(.o_form_dirty))",
        },
    ],
});
