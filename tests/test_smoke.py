from odoo.tests import TransactionCase
class TestSmoke(TransactionCase):
    def test_x(self):
        self.assertTrue(self.env['res.partner'].search([], limit=1))
