import ast

from odoo.addons.trade_crm_tiering.migrations.field_renames import (
    FIELD_RENAMES,
    MODEL_FIELD_RENAMES,
    rename_all,
    rename_fields,
)
from odoo.tools import SQL
from odoo.tools.sql import column_exists, constraint_definition, index_exists

from .common import REP_GROUPS, TieringCase

OLD_NAMES = {new: old for old, new in FIELD_RENAMES.items()}


class TestFieldRenames(TieringCase):
    """The 18.0.1.1.0 upgrade gives our fields on Odoo's models the tiering_ prefix: a database of the
    version before keeps its grades, backups, tracking xmlids, record rules and the users' filters."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = cls._user("rename_rep", REP_GROUPS)
        cls.backup = cls._user("rename_backup", REP_GROUPS)
        cls.customer = cls._customer("Renamed Trading", user_id=cls.rep.id, tiering_backup_user_id=cls.backup.id)
        cls._order(cls.customer, 300_000)
        cls.env["res.partner"].action_tiering_regrade()
        cls.filter = (
            cls.env["ir.filters"]
            .with_user(cls.rep)
            .create(
                {
                    "name": "My 3-star customers",
                    "model_id": "res.partner",
                    "domain": "[('tiering_star_grade', '=', '3'), ('tiering_star_grade_actual', '!=', False)]",
                    "context": "{'group_by': ['tiering_service_tier_id']}",
                    "user_id": cls.rep.id,
                }
            )
        )
        cls.export = cls.env["ir.exports"].create(
            {
                "name": "Grades",
                "resource": "res.partner",
                "export_fields": [
                    (0, 0, {"name": "tiering_star_grade"}),
                    (0, 0, {"name": "parent_id/tiering_value_class"}),
                ],
            }
        )
        cls.env.flush_all()

    def _downgrade_to_the_version_before(self):
        rename_fields(self.env.cr, OLD_NAMES)
        for model, renames in MODEL_FIELD_RENAMES.items():
            rename_fields(self.env.cr, {new: old for old, new in renames.items()}, only_model=model)
        self.env.invalidate_all()

    def _arch(self, xmlid):
        self.env.cr.execute(SQL("SELECT arch_db->>'en_US' FROM ir_ui_view WHERE id = %s", self.env.ref(xmlid).id))
        return self.env.cr.fetchone()[0]

    def _field_xmlid(self, name):
        return self.env["ir.model.data"].search(
            [("module", "=", "trade_crm_tiering"), ("name", "=", f"field_res_partner__{name}")]
        )

    def test_the_version_before_has_the_old_names(self):
        self._downgrade_to_the_version_before()
        cr = self.env.cr
        self.assertTrue(column_exists(cr, "res_partner", "star_grade"))
        self.assertFalse(column_exists(cr, "res_partner", "tiering_star_grade"))
        self.assertTrue(column_exists(cr, "trade_matrix_consequence", "value_class"))
        self.assertTrue(column_exists(cr, "sale_order", "tier_id"))
        self.assertTrue(column_exists(cr, "sale_order", "discount_approval_state"))
        self.assertTrue(column_exists(cr, "trade_tier_rule", "tier_id"), "the rules' own tier_id is not renamed")
        self.assertTrue(self._field_xmlid("backup_user_id"))
        self.assertIn('name="star_grade"', self._arch("trade_crm_tiering.view_partner_form"))
        cr.execute(SQL("SELECT domain FROM ir_filters WHERE id = %s", self.filter.id))
        self.assertEqual(cr.fetchone()[0], "[('star_grade', '=', '3'), ('star_grade_actual', '!=', False)]")
        rename_all(cr)

    def test_upgrade_keeps_the_data_under_the_new_names(self):
        stars_before = self.customer.with_company(self.company).tiering_star_grade
        self.assertEqual(stars_before, "3")
        self._downgrade_to_the_version_before()
        rename_all(self.env.cr)
        self.env.invalidate_all()

        customer = self.customer.with_user(self.rep).with_company(self.company)
        self.assertEqual(customer.tiering_star_grade, stars_before)
        self.assertEqual(customer.tiering_backup_user_id, self.backup)
        self.assertEqual(
            self.env["res.partner"]
            .with_user(self.backup)
            .search([("tiering_backup_user_id", "=", self.backup.id), ("id", "=", self.customer.id)]),
            self.customer,
            "the backup's record rules read the new name",
        )
        self.assertTrue(self._field_xmlid("tiering_star_grade"))
        arch = self._arch("trade_crm_tiering.view_partner_form")
        self.assertIn('name="tiering_star_grade"', arch)
        self.assertNotIn('name="star_grade"', arch)
        self.assertFalse(self._field_xmlid("star_grade"))
        self.assertEqual(self.env.ref("trade_crm_tiering.selection__res_partner__tiering_star_grade__3").value, "3")
        self.assertTrue(index_exists(self.env.cr, "res_partner__tiering_backup_user_id_index"))
        self.assertTrue(constraint_definition(self.env.cr, "res_partner", "res_partner_tiering_backup_user_id_fkey"))

    def test_upgrade_rewrites_saved_filters_and_export_lists(self):
        self._downgrade_to_the_version_before()
        rename_all(self.env.cr)
        self.env.invalidate_all()
        saved = self.env["ir.filters"].with_user(self.rep).get_filters("res.partner")
        mine = next(item for item in saved if item["id"] == self.filter.id)
        self.assertEqual(
            mine["domain"], "[('tiering_star_grade', '=', '3'), ('tiering_star_grade_actual', '!=', False)]"
        )
        self.assertEqual(mine["context"], "{'group_by': ['tiering_service_tier_id']}")
        self.assertEqual(
            self.export.export_fields.mapped("name"), ["tiering_star_grade", "parent_id/tiering_value_class"]
        )
        self.assertEqual(
            self.env["res.partner"]
            .with_user(self.rep)
            .search_count([*ast.literal_eval(mine["domain"]), ("id", "=", self.customer.id)]),
            1,
        )

    def test_upgrading_twice_changes_nothing(self):
        rename_all(self.env.cr)
        self.env.invalidate_all()
        self.assertEqual(self.customer.with_company(self.company).tiering_star_grade, "3")
        self.assertFalse(column_exists(self.env.cr, "res_partner", "star_grade"))
        self.assertTrue(column_exists(self.env.cr, "sale_order", "tiering_order_tier_id"))
        self.assertTrue(column_exists(self.env.cr, "trade_tier_rule", "tier_id"))
