import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";

import { patch } from "@web/core/utils/patch";

/**
 * Approval activities (grade requests, discount approvals, handovers) are decided, not marked
 * done: Approve and Reject call the activity's methods, which go through the document's workflow.
 *
 * The labels are "Approve request" and "Reject request", not bare "Approve"/"Reject": the web
 * client merges every module's browser terms into one dictionary, in an order that changes from one
 * server process to the next, and mail translates "Reject" as 拒绝 (hr modules "Approve" as 批准),
 * so the buttons showed our 驳回 or mail's 拒绝 by chance. TestChineseTranslation checks that no
 * installed module translates our browser terms differently.
 */
async function decide(env, activity, method, onDone) {
    const action = await env.services.orm.call("mail.activity", method, [[activity.id]]);
    if (method === "action_trade_approve") {
        await onDone();
        await env.services.action.doAction(action);
    } else {
        await env.services.action.doAction(action, { onClose: onDone });
    }
}

patch(Activity.prototype, {
    async onClickTradeApprove() {
        const { activity, onActivityChanged, reloadParentView } = this.props;
        const thread = this.thread;
        await decide(this.env, activity, "action_trade_approve", async () => {
            onActivityChanged(thread);
            await reloadParentView();
        });
    },

    async onClickTradeReject() {
        const { activity, onActivityChanged, reloadParentView } = this.props;
        const thread = this.thread;
        await decide(this.env, activity, "action_trade_reject", async () => {
            onActivityChanged(thread);
            await reloadParentView();
        });
    },
});

patch(ActivityListPopoverItem.prototype, {
    get hasMarkDoneButton() {
        return super.hasMarkDoneButton && !this.props.activity.trade_approval;
    },

    get hasCancelButton() {
        return super.hasCancelButton && !this.props.activity.trade_approval;
    },

    async onClickTradeApprove() {
        await decide(this.env, this.props.activity, "action_trade_approve", async () =>
            this.props.onActivityChanged?.()
        );
    },

    async onClickTradeReject() {
        await decide(this.env, this.props.activity, "action_trade_reject", async () =>
            this.props.onActivityChanged?.()
        );
    },
});
