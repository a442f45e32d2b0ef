import { registry } from "@web/core/registry";

// A supervisor whose language is Chinese opens the Warnings list; the nightly job, running in
// English, wrote the warning of the Python test's customer in Chinese (#16.1).
registry.category("web_tour.tours").add("trade_crm_tiering_warnings_zh", {
    steps: () => [
        {
            content: "The Warnings list, in Chinese",
            trigger: ".o_breadcrumb:contains(预警)",
        },
        {
            content: "Open the order frequency drops",
            trigger: ".o_group_header:contains(下单频次下降)",
            run: "click",
        },
        {
            content: "The warning says what happened, in Chinese",
            trigger: ".o_data_row:contains(佛山木业) td[name=details]:contains(已 80 天未下单；该客户通常每 30 天下一次单。)",
        },
        {
            content: "No English left",
            trigger: ".o_data_row:contains(佛山木业):not(:contains(No order for))",
        },
    ],
});
