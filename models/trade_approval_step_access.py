from odoo import api, fields, models

# The documents of the approval steps a rep may read, beyond the steps they sign (#12.11): those of
# the customers they serve, and the documents that are theirs.
REP_DOCUMENT_DOMAINS = {
    "trade.grade.request": lambda uid: ["|", ("requester_id", "=", uid), ("partner_id.tiering_served", "=", True)],
    "sale.order": lambda uid: ["|", ("user_id", "=", uid), ("partner_id.tiering_served", "=", True)],
    "trade.handover": lambda uid: ["|", ("from_user_id", "=", uid), ("line_ids.receiver_id", "=", uid)],
}


class TradeApprovalStep(models.Model):
    """The company and the visibility of a step are its document's (see the record rules)."""

    _inherit = "trade.approval.step"

    company_id = fields.Many2one("res.company", compute="_compute_company_id", search="_search_company_id")
    tiering_served = fields.Boolean(
        string="On a Customer I Serve",
        compute="_compute_tiering_served",
        search="_search_tiering_served",
        help="The step's document is about a customer you serve, or is yours.",
    )

    def _document_models(self):
        return [name for name in REP_DOCUMENT_DOMAINS if name in self.env]

    @api.depends("res_model", "res_id")
    def _compute_company_id(self):
        for model, steps in self.grouped("res_model").items():
            documents = self.env[model].sudo().browse(steps.mapped("res_id")) if model in self.env else None
            companies = dict(zip(documents.ids, documents.company_id, strict=True)) if documents else {}
            for step in steps:
                step.company_id = companies.get(step.res_id, False)

    def _search_company_id(self, operator, value):
        return self._search_by_document(lambda model: [("company_id", operator, value)])

    @api.depends_context("uid")
    def _compute_tiering_served(self):
        visible = self.search([("id", "in", self.ids), ("tiering_served", "=", True)])
        for step in self:
            step.tiering_served = step in visible

    def _search_tiering_served(self, operator, value):
        uid = self.env.uid
        domain = [
            "|",
            "|",
            ("user_id", "=", uid),
            ("signed_by_id", "=", uid),
            *self._search_by_document(lambda model: REP_DOCUMENT_DOMAINS[model](uid)),
        ]
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    def _search_by_document(self, document_domain):
        """Steps whose document matches ``document_domain(model)``: one subquery per document model."""
        domain = [("id", "=", 0)]
        for model in self._document_models():
            # sudo: which documents match is decided by the domain, not by their record rules.
            documents = self.env[model].sudo().with_context(active_test=False)._search(document_domain(model))
            domain = ["|", *domain, "&", ("res_model", "=", model), ("res_id", "in", documents)]
        return domain
