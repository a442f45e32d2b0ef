import { registry } from "@web/core/registry";

/**
 * Printing a quotation is a quotation leaving the house: one that needs approval asks for it
 * before the report is downloaded, as Send and Confirm do. Refusing in the download itself would
 * roll the request back with the error; the server still refuses the report of a quotation that
 * waits, for whoever opens the report's URL directly.
 */
async function askQuoteApprovalBeforePrint(action, options, env) {
    const context = action.context || {};
    if (context.active_model !== "sale.order" || !context.active_ids?.length) {
        return false;
    }
    const gate = await env.services.orm.call("sale.order", "action_tiering_check_print", [
        context.active_ids,
        action.report_name,
    ]);
    if (!gate) {
        return false;
    }
    await env.services.action.doAction(gate);
    return true;
}

registry
    .category("ir.actions.report handlers")
    .add("trade_crm_tiering_quote_approval", askQuoteApprovalBeforePrint);
