from odoo import api, models
from odoo.tools import format_date

from ..trade_crm_tiering import tiering_day
from .tiering_tools import activity_values, with_open_activity


class ResPartner(models.Model):
    """Retention activities for customers about to lose their grade, and the reviews of potential
    grades: the grading engine's follow-ups (trade.tiering.engine, the nightly passes)."""

    _inherit = "res.partner"

    def _tiering_schedule_retention(self):
        """A retention activity for the salesperson and the supervisor of each customer (current
        company), its note in the language of the one it is for (see trade.tiering.engine)."""
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_retention")
        today = tiering_day.today()
        assignees = {partner: (partner.user_id | partner._tiering_supervisor()).filtered("active") for partner in self}
        langs = self.env["trade.tiering.engine"]._user_langs(
            [user.id for users in assignees.values() for user in users], self.env.company
        )
        values = [
            activity_values(
                partner,
                activity_type,
                user.id,
                today,
                note=partner.with_context(lang=langs[user.id])._tiering_retention_note(),
            )
            for partner, users in assignees.items()
            for user in users
        ]
        self.env["mail.activity"].create(values)

    def _tiering_retention_note(self):
        """The retention note of this customer, in the language of the context."""
        categories = dict(self._fields["tiering_grade_category"]._description_selection(self.env))
        stars = dict(self._fields["tiering_star_grade_actual"]._description_selection(self.env))
        return self.env._(
            "%(customer)s no longer buys enough for its %(category)s grade (%(actual)s now). "
            "It is downgraded on %(due)s unless its purchases recover or a potential grade is approved.",
            customer=self.name,
            category=categories[self.tiering_grade_category],
            actual=stars[self.tiering_star_grade_actual],
            due=format_date(self.env, self.tiering_downgrade_due),
        )

    @api.model
    def _tiering_schedule_potential_reviews(self):
        """A review activity for each potential grade of the current company whose review date passed."""
        company = self.env.company
        today = tiering_day.today()
        due = self.search(
            [
                ("tiering_star_grade_potential", "!=", False),
                ("tiering_potential_review_date", "<=", today),
                ("parent_id", "=", False),
            ]
        )
        activity_type = self.env.ref("trade_crm_tiering.mail_activity_type_potential_review")
        already = with_open_activity(due, activity_type)
        owners = {
            partner: partner.user_id or partner._tiering_supervisor()
            for partner in due.filtered(lambda p: p.id not in already)
        }
        # The note is in the owner's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs([owner.id for owner in owners.values()], company)
        values = [
            activity_values(
                partner,
                activity_type,
                owner.id,
                today,
                note=self.with_context(lang=langs[owner.id]).env._(
                    "Review the potential grade of %(customer)s in %(company)s: keep it with a new "
                    "review date, or withdraw it. Reason given: %(reason)s",
                    customer=partner.name,
                    company=company.name,
                    reason=partner.tiering_potential_reason or "-",
                ),
            )
            for partner, owner in owners.items()
            if owner
        ]
        self.env["mail.activity"].create(values)
