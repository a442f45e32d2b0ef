from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..trade_crm_tiering import profile, tiering_day
from .tiering_constants import CHANNELS, CREDIT_RATINGS, LIFECYCLE_STAGES, SIZE_BANDS, TRADE_SOURCES
from .tiering_tools import activity_values, with_open_activity


class ResPartner(models.Model):
    """The trade profile: what reps know of the customer's business, its lifecycle stage and the
    greetings before its founding anniversary."""

    _inherit = "res.partner"

    # Trade profile: what reps know about the customer's business, the same in every company.
    trade_source = fields.Selection(TRADE_SOURCES, string="Customer Source", help="Where the customer first came from.")
    trade_size_band = fields.Selection(SIZE_BANDS, string="Company Size Band")
    trade_main_products = fields.Char(string="Main Products Bought")
    trade_declared_volume = fields.Monetary(
        string="Declared Annual Volume",
        currency_field="tiering_currency_id",
        help="What the customer says it buys a year, all suppliers together: an argument for a potential grade.",
    )
    trade_target_price = fields.Monetary(
        string="Target Price",
        currency_field="tiering_currency_id",
        help="The price the customer aims at for its main product.",
    )
    trade_credit_rating = fields.Selection(CREDIT_RATINGS, string="Credit Rating")
    trade_credit_rated_on = fields.Date(string="Credit Rated On")
    trade_founded_on = fields.Date(
        string="Founded On", help="The customer's founding date: key customers get a greeting before its anniversary."
    )
    trade_preferred_channel = fields.Selection(CHANNELS, string="Preferred Channel")
    # Lifecycle stage, per company: computed from leads, quotations, orders and dormancy (see
    # trade.lifecycle); a rep may set it by hand, with a reason.
    trade_lifecycle = fields.Selection(
        LIFECYCLE_STAGES,
        string="Lifecycle Stage",
        company_dependent=True,
        readonly=True,
        help="Potential: nothing but leads yet. Intent: an open opportunity or quotation. Deal: ordered "
        "within a year. Lost: no order for a year, or its leads were lost. Set by hand when that is wrong.",
        copy=False,
    )
    trade_lifecycle_auto = fields.Selection(
        LIFECYCLE_STAGES, string="Computed Stage", company_dependent=True, readonly=True, copy=False
    )
    trade_lifecycle_override = fields.Selection(
        LIFECYCLE_STAGES, string="Stage Set by Hand", company_dependent=True, tracking=True
    )
    trade_lifecycle_reason = fields.Char(string="Why Set by Hand", company_dependent=True)

    @api.constrains("trade_lifecycle_override", "trade_lifecycle_reason")
    def _check_trade_lifecycle_reason(self):
        for partner in self:
            if partner.trade_lifecycle_override and not (partner.trade_lifecycle_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "%(customer)s: say why its lifecycle stage is set by hand.", customer=partner.display_name
                    )
                )

    @api.model
    def _tiering_schedule_greetings(self):
        """A greeting activity for the salesperson of each key-relationship customer (current company)
        whose founding anniversary comes within a week: one per anniversary."""
        today = tiering_day.today()
        tiers = self.env["trade.service.tier"].search(
            [("company_id", "=", self.env.company.id), ("key_relationship", "=", True)]
        )
        customers = self.search(
            [
                ("parent_id", "=", False),
                ("trade_founded_on", "!=", False),
                ("user_id", "!=", False),
                ("tiering_service_tier_id", "in", tiers.ids),
            ]
        )
        due = {}
        for customer in customers:
            deadline = profile.greeting_due(customer.trade_founded_on, today)
            if deadline:
                due[customer.id] = deadline
        greeting = self.env.ref("trade_crm_tiering.mail_activity_type_anniversary_greeting")
        due = self._tiering_without_recent(greeting, due, today)
        customers = self.browse(list(due))
        # The note is in the salesperson's language (see trade.tiering.engine), not the cron user's.
        langs = self.env["trade.tiering.engine"]._user_langs(customers.user_id.ids, self.env.company)
        values = []
        for customer in customers:
            anniversary = profile.next_anniversary(customer.trade_founded_on, today)
            env = self.with_context(lang=langs[customer.user_id.id]).env
            note = env._(
                "%(customer)s turns %(years)s on %(date)s: send the team's greetings.",
                customer=customer.name,
                years=anniversary.year - customer.trade_founded_on.year,
                date=format_date(env, anniversary),
            )
            values.append(
                activity_values(
                    customer, greeting, customer.user_id.id, due[customer.id], note=Markup("<p>%s</p>") % note
                )
            )
        self.env["mail.activity"].create(values)

    def _tiering_without_recent(self, activity_type, due, today):
        """``due`` without the customers that have this activity open or done in the last month."""
        if not due:
            return due
        open_ids = with_open_activity(self.browse(list(due)), activity_type)
        done_ids = {
            res_id
            for [res_id] in self.env["mail.message"]._read_group(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", list(due)),
                    ("mail_activity_type_id", "=", activity_type.id),
                    ("date", ">=", fields.Datetime.to_datetime(today) - timedelta(days=30)),
                ],
                ["res_id"],
            )
        }
        return {pid: day for pid, day in due.items() if pid not in open_ids | done_ids}

    def _tiering_lifecycle_refresh_later(self):
        """Refresh these partners' customers' lifecycle stages when the transaction commits."""
        # sudo: whoever changed a lead or an order, the stage is the system's to keep.
        self.env["trade.lifecycle"]._schedule(self.sudo().exists().commercial_partner_id.ids)
