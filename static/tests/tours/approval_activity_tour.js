import { registry } from "@web/core/registry";

// Issue 16, run in Chinese; the data (users, customer) comes from tests/test_tour.py.

// 16.3: the template downloads on the first click, before any file is chosen.
registry.category("web_tour.tours").add("trade_crm_tiering_zh_import_template", {
    steps: () => [
        {
            content: "Open the Customer Tiering menu",
            trigger: ".o_main_navbar [data-menu-xmlid='trade_crm_tiering.menu_trade_tiering_root']",
            run: "click",
        },
        {
            content: "Open the import",
            trigger: ".o-dropdown--menu [data-menu-xmlid='trade_crm_tiering.menu_trade_customer_import']",
            run: "click",
        },
        {
            content: "The wizard is in Chinese",
            trigger: ".modal .modal-title:contains(导入客户)",
        },
        {
            content: "Download the template without a file",
            trigger: ".modal button[name=action_download_template]",
            run: "click",
        },
        {
            content: "No field is flagged, no error shows",
            trigger:
                ".modal .o_form_view:not(:has(.o_field_invalid)) button[name=action_download_template]:enabled",
        },
        {
            trigger: "body:not(:has(.o_notification_bar.bg-danger)):not(:has(.o_error_dialog))",
        },
        {
            content: "Close the wizard",
            trigger: ".modal-footer button[special=cancel]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// 16.8: the request dialog says which category the grade is and who approves it, and confirms.
registry.category("web_tour.tours").add("trade_crm_tiering_zh_request_grade", {
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
            content: "The dialog shows the category...",
            trigger: ".modal div[name=requested_category]:contains(大客户)",
        },
        {
            content: "...and who approves",
            trigger: ".modal div[name=approval_preview]:contains(Wang Tour Supervisor)",
        },
        {
            content: "Say why",
            trigger: ".modal div[name=reason] textarea",
            run: "edit 明年春天在汉堡开第二个展厅",
        },
        {
            content: "Submit the request",
            trigger: ".modal button[name=action_submit]",
            run: "click",
        },
        {
            content: "A confirmation names the approver",
            trigger: ".o_notification:contains(Wang Tour Supervisor)",
        },
        {
            content: "The dialog is closed and the request is listed on the customer",
            trigger: "body:not(:has(.modal)) .o_form_view button[name=action_view_grade_requests]:contains(1)",
        },
    ],
});

// 16.2: the supervisor finds the request under Grade Requests and approves it from its activity.
registry.category("web_tour.tours").add("trade_crm_tiering_zh_approve_from_activity", {
    steps: () => [
        {
            content: "The request waiting for me is listed by default",
            trigger: ".o_data_row:contains(Zhejiang Tour Timber) td[name=name]",
            run: "click",
        },
        {
            content: "The chatter shows the approval activity with its buttons, not Mark Done",
            trigger:
                ".o-mail-Chatter .o-mail-Activity:not(:has(.o-mail-Activity-markDone)) .o-trade-Activity-approve",
        },
        {
            // Our own browser terms: a bare "Reject" would show mail's 拒绝 in some server processes.
            content: "Reject reads 驳回",
            trigger: ".o-mail-Activity .o-trade-Activity-reject:contains(驳回)",
        },
        {
            content: "Approve from the activity",
            trigger: ".o-mail-Activity .o-trade-Activity-approve:contains(审批通过)",
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value=approved]:contains(已通过)",
        },
        {
            content: "The reminder is gone",
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity))",
        },
    ],
});
