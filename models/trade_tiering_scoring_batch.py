import numpy as np
import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

from ..trade_crm_tiering import scoring as maths
from ..trade_crm_tiering import tiering_day
from .trade_tiering_currency import MissingRatesError


class TradeTieringScoring(models.AbstractModel):
    """Scoring in batches (the nightly action): the company-wide figures every batch ranks its
    customers against, stored between the units of work, then batches of customers."""

    _inherit = "trade.tiering.scoring"

    def init(self):
        # The company-wide figures of a batched pass (see _score_basis), between its units.
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS trade_tiering_scoring_basis (
                       company_id int4 NOT NULL REFERENCES res_company(id) ON DELETE CASCADE,
                       name varchar NOT NULL,
                       data bytea NOT NULL,
                       PRIMARY KEY (company_id, name))"""
            )
        )

    @api.model
    def _score_basis(self, company):
        """Store what every batch of ``company`` ranks its customers against: the figures of
        maths.ranking_basis and the customer ids, from the orders and interactions of all of them
        (two aggregations). Returns False, storing nothing, when rates are missing."""
        scoring = self.sudo().with_company(company)
        company = scoring.env["res.company"].browse(company.id)
        today = tiering_day.today()
        scoring.env["sale.order"].flush_model()
        scoring.env["res.partner"].flush_model()
        try:
            frame = scoring._order_figures(company, today)
        except MissingRatesError:
            scoring._drop_basis(company)
            return False
        frame = frame.join(scoring._interactions(company, today))
        frame["interactions_12m"] = frame["interactions_12m"].astype("float64").fillna(0)
        basis = maths.ranking_basis(frame, company._tiering_scoring_config())
        basis["ids"] = frame.index.to_numpy(dtype="float64")
        basis["ids"].sort()
        scoring._drop_basis(company)
        names = sorted(basis)
        scoring.env.execute_query(
            SQL(
                """INSERT INTO trade_tiering_scoring_basis (company_id, name, data)
                   SELECT %s, unnest(%s::varchar[]), unnest(%s::bytea[])""",
                company.id,
                names,
                [psycopg2.Binary(basis[name].astype("float64").tobytes()) for name in names],
            )
        )
        return True

    def _read_basis(self, company):
        rows = self.env.execute_query(
            SQL("SELECT name, data FROM trade_tiering_scoring_basis WHERE company_id = %s", company.id)
        )
        return {name: np.frombuffer(bytes(data), dtype="float64") for name, data in rows}

    def _drop_basis(self, company):
        self.env.execute_query(SQL("DELETE FROM trade_tiering_scoring_basis WHERE company_id = %s", company.id))

    @api.model
    def _score_batch(self, company, after, size):
        """Score the next ``size`` customers of ``company`` after id ``after`` against the stored
        basis; after the last batch, close the company's pass.

        A batch covers every partner id in ``(after, its last customer]`` (the last batch: every id
        above ``after``), so the customers whose orders went and the warnings of partners that are
        no customer any more are cleared as by _score. Returns the id to resume after, or None
        when the company is done (or its basis is gone: the pass then starts again next night).
        """
        scoring = self.sudo().with_company(company)
        company = scoring.env["res.company"].browse(company.id)
        today = tiering_day.today()
        basis = scoring._read_basis(company)
        if "ids" not in basis:
            return None
        ids = basis.pop("ids")
        start = np.searchsorted(ids, after, side="right")
        high = int(ids[start + size - 1]) if start + size < len(ids) else None
        partner_range = (after, high)
        scoring.env["sale.order"].flush_model()
        scoring.env["res.partner"].flush_model()
        try:
            figures = scoring._gather(company, today, partner_range)
        except MissingRatesError:
            figures = None
        if figures is not None:
            scoring._score_figures(company, figures, today, basis, partner_range)
        if high is not None:
            return high
        company.tiering_last_scoring = fields.Datetime.now()
        scoring._drop_basis(company)
        return None
