from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..trade_crm_tiering import credit

# (rating, days field, share field) of each rating band, AAA to B.
BAND_FIELDS = tuple(
    (rating, f"trade_credit_{rating.lower()}_days", f"trade_credit_{rating.lower()}_share") for rating in credit.BANDED
)
BAND_DEFAULTS = {rating: (days, share) for rating, days, share in credit.DEFAULT_BANDS}
CREDIT_SETTING_FIELDS = (
    *(name for _rating, days, share in BAND_FIELDS for name in (days, share)),
    "trade_credit_grace_days",
    "trade_credit_basis",
    "trade_credit_min_invoices",
)


def _band_fields():
    """The ceiling fields of every band, named as BAND_FIELDS says (a field per rating and figure)."""
    result = {}
    for rating, days, share in BAND_FIELDS:
        result[days] = fields.Float(
            string=f"{rating}: Max. Average Days Late", default=BAND_DEFAULTS[rating][0], digits=(16, 1)
        )
        result[share] = fields.Float(
            string=f"{rating}: Max. Overdue Share (%)", default=BAND_DEFAULTS[rating][1], digits=(16, 1)
        )
    return result


# A file of its own (not res_company.py) so the parallel issue-13 branches merge cleanly.
class ResCompany(models.Model):
    """How the nightly pass suggests a customer's credit rating from its payment record."""

    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    locals().update(_band_fields())
    trade_credit_grace_days = fields.Integer(
        string="Payment Grace Days",
        default=credit.DEFAULT_GRACE_DAYS,
        help="An invoice paid up to this many days after its due date is not overdue (bank transfers take days).",
    )
    trade_credit_basis = fields.Selection(
        [("amount", "Invoiced Amount"), ("count", "Number of Invoices")],
        string="Overdue Share Of",
        default="amount",
        required=True,
    )
    trade_credit_min_invoices = fields.Integer(
        string="Invoices Needed for a Rating",
        default=3,
        help="Customers with fewer invoices due in the last 12 months get no suggested rating.",
    )
    trade_credit_unrated = fields.Selection(
        [(credit.UNRATED_DEFAULT, "Company Default Limit")] + [(rating, rating) for rating in credit.BANDED],
        string="Customers Without a Rating Get",
        default=credit.UNRATED_DEFAULT,
        required=True,
        help="The limit of customers with too few invoices for a rating: the company default, or that of a rating "
        "(e.g. B: new customers start on B terms).",
    )
    trade_credit_limit_ids = fields.One2many("trade.credit.limit", "company_id", string="Credit Limits")

    def _tiering_credit_bands(self):
        self.ensure_one()
        return credit.RatingBands(
            bands=tuple((rating, self[days], self[share]) for rating, days, share in BAND_FIELDS),
            grace_days=self.trade_credit_grace_days,
            basis=self.trade_credit_basis,
            min_invoices=self.trade_credit_min_invoices,
        )

    @api.constrains(*CREDIT_SETTING_FIELDS)
    def _check_trade_credit_bands(self):
        for company in self:
            try:
                company._tiering_credit_bands().check()
            except credit.CreditConfigError as error:
                raise ValidationError(company._tiering_credit_error_message(error)) from error

    def _tiering_credit_error_message(self, error):
        """The user's message for a credit.CreditConfigError (bands or limits)."""
        params = {key: _text(value) for key, value in error.params.items()}
        messages = {  # code: the message, built on demand
            "band_ratings": lambda: self.env._("The rating bands must be AAA, AA, A, BBB, BB and B, in that order."),
            "band_days": lambda: self.env._(
                "Rating %(rating)s: the average days late ceiling must be 0 or more (not %(value)s).", **params
            ),
            "band_share": lambda: self.env._(
                "Rating %(rating)s: the overdue share ceiling must be between 0 and 100%% (not %(value)s).", **params
            ),
            "not_monotone": lambda: self.env._(
                "The rating bands must rise from AAA to B: %(rating)s (%(days)s days late, %(share)s%% overdue) is "
                "below %(previous_rating)s (%(previous_days)s days, %(previous_share)s%%).",
                **params,
            ),
            "unreachable": lambda: self.env._(
                "Rating %(rating)s has the same ceilings as %(previous_rating)s, so no customer could get it: "
                "raise one of them.",
                **params,
            ),
            "grace_days": lambda: self.env._(
                "The payment grace must be between 0 and 60 days (not %(value)s).", **params
            ),
            "basis": lambda: self.env._(
                "The overdue share is counted on the invoiced amount or the number of invoices."
            ),
            "min_invoices": lambda: self.env._("A rating needs at least 1 invoice (not %(value)s).", **params),
            "limit_value": lambda: self.env._(
                "Tier %(tier)s, rating %(rating)s: a credit limit cannot be negative (%(value)s).", **params
            ),
            "limit_not_monotone": lambda: self.env._(
                "Tier %(tier)s: the credit limit of rating %(rating)s (%(value)s) is above that of the better "
                "rating %(previous_rating)s (%(previous)s).",
                **params,
            ),
        }
        # Only the message of this error is built: the others' placeholders have no values.
        message = messages.get(error.code)
        return message() if message else self.env._("Invalid credit setting: %(problem)s", problem=error.code)

    def _tiering_credit_matrix(self):
        """The company's credit.CreditMatrix, keyed by service tier id; None without any row."""
        self.ensure_one()
        rows = self.env["trade.credit.limit"].sudo().search([("company_id", "=", self.id)])
        if not rows:
            return None
        return credit.CreditMatrix(
            limits={row.tiering_service_tier_id.id: row._tiering_limits() for row in rows},
            unrated=self.trade_credit_unrated,
        )


def _text(value):
    return f"{value:g}" if isinstance(value, float) else str(value)
