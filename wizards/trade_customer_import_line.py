from odoo import fields, models


class TradeCustomerImportLine(models.TransientModel):
    """One row of a previewed customer spreadsheet: what importing it does, or what is wrong."""

    _name = "trade.customer.import.line"
    _description = "Customer Import Row"
    _order = "wizard_id, row"

    wizard_id = fields.Many2one("trade.customer.import.wizard", required=True, ondelete="cascade")
    row = fields.Integer(readonly=True)
    name = fields.Char(string="Customer", readonly=True)
    action = fields.Selection(
        [("create", "Create"), ("update", "Update"), ("unchanged", "Unchanged"), ("error", "Problem")],
        readonly=True,
    )
    partner_id = fields.Many2one("res.partner", string="Existing Customer", readonly=True)
    problems = fields.Text(readonly=True)
    changes = fields.Char(string="Columns Changed", readonly=True)
