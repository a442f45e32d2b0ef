from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_open
from odoo.tools.translate import TranslationModuleReader, code_translations

# Terms written the same in Chinese: Odoo stores no translation equal to its source.
SAME_IN_CHINESE = {"ID", "AAA", "AA", "BBB", "BB", "WhatsApp"}


@tagged("post_install", "-at_install")
class TestChineseTranslation(TransactionCase):
    """Every user-facing term of the module ships with its Simplified Chinese translation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)

    def test_every_term_is_translated(self):
        reader = TranslationModuleReader(self.env.cr, modules=["trade_crm_tiering"], lang="zh_CN")
        missing = sorted(
            {
                source
                for module, _type, _name, _res_id, source, value, _comments in reader
                if module == "trade_crm_tiering" and source and not value and source not in SAME_IN_CHINESE
            }
        )
        self.assertFalse(missing, "terms without a zh_CN translation (run tools/i18n)")

    def test_browser_terms_mean_what_they_mean_here(self):
        """The web client merges every module's terms into one dictionary, so a term of ours that
        another module translates differently may show that module's translation ("Load" as
        导入, "Share" as 分享): each of our browser terms must be unambiguous."""
        ours = code_translations.get_web_translations("trade_crm_tiering", "zh_CN")["messages"]
        self.assertTrue(ours, "the dashboard's terms are translated")
        ours = {message["id"]: message["string"] for message in ours}
        modules = self.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        clashes = []
        for module in sorted(set(modules) - {"trade_crm_tiering"}):
            for message in code_translations.get_web_translations(module, "zh_CN")["messages"]:
                if message["id"] in ours and message["string"] != ours[message["id"]]:
                    clashes.append(f"{message['id']!r}: {module} {message['string']!r}, ours {ours[message['id']]!r}")
        self.assertFalse(clashes, "browser terms translated differently by another module")

    def test_glossary_terms(self):
        partner = self.env["res.partner"].with_context(lang="zh_CN")
        labels = partner.fields_get(
            ["tiering_star_grade", "tiering_star_grade_actual", "tiering_annual_amount", "tiering_grade_category"]
        )
        self.assertEqual(labels["tiering_star_grade"]["string"], "客户星级")
        self.assertEqual(labels["tiering_star_grade_actual"]["string"], "实际星级")
        self.assertEqual(labels["tiering_annual_amount"]["string"], "年采购金额")
        self.assertEqual(dict(labels["tiering_grade_category"]["selection"])["key"], "大客户")
        menu = self.env.ref("trade_crm_tiering.menu_trade_tiering_root").with_context(lang="zh_CN")
        self.assertEqual(menu.name, "客户分层")
        request = self.env["trade.grade.request"].with_context(lang="zh_CN")
        self.assertEqual(request._description, "Grade Change Request")
        self.assertEqual(self.env["ir.model"]._get("trade.grade.request").with_context(lang="zh_CN").name, "定级申请")
        states = dict(request.fields_get(["state"])["state"]["selection"])
        self.assertEqual((states["approved"], states["rejected"]), ("已通过", "已驳回"))
        group = self.env.ref("trade_crm_tiering.group_tiering_supervisor").with_context(lang="zh_CN")
        self.assertEqual(group.name, "销售主管")

    def test_glossary_of_handover_profile_and_tags(self):
        partner = self.env["res.partner"].with_context(lang="zh_CN")
        labels = partner.fields_get(["trade_lifecycle", "trade_source", "trade_credit_rating", "category_id"])
        self.assertEqual(labels["trade_lifecycle"]["string"], "客户状态")
        self.assertEqual(
            dict(labels["trade_lifecycle"]["selection"]),
            {"potential": "潜在", "intent": "意向", "deal": "成交", "lost": "流失"},
        )
        self.assertEqual(labels["trade_source"]["string"], "客户来源")
        sources = dict(labels["trade_source"]["selection"])
        self.assertEqual(
            (sources["trade_show"], sources["b2b_platform"], sources["website_inquiry"]),
            ("展会", "B2B平台", "官网询盘"),
        )
        self.assertEqual(labels["trade_credit_rating"]["string"], "信用评级")
        handover = self.env["ir.model"]._get("trade.handover").with_context(lang="zh_CN")
        self.assertEqual(handover.name, "客户交接单")
        wizard = self.env["ir.model"]._get("trade.handover.wizard").with_context(lang="zh_CN")
        self.assertEqual(wizard.name, "交接客户", "the wizard is named apart from the handover records")
        backup = partner.fields_get(["tiering_backup_user_id"])["tiering_backup_user_id"]["string"]
        self.assertEqual(backup, "B角业务员", "备份 reads as a data backup")
        follow_up = self.env.ref("trade_crm_tiering.mail_activity_type_tier_follow_up").with_context(lang="zh_CN")
        self.assertEqual(follow_up.name, "服务层级跟进")
        with file_open("trade_crm_tiering/i18n/zh_CN.po", "rb") as po:
            self.assertNotIn("备份", po.read().decode())
        families = {
            "partner_tag_product": "产品偏好",
            "partner_tag_region": "市场区域",
            "partner_tag_habit": "采购习惯",
            "partner_tag_stage": "合作状态",
        }
        for xmlid, name in families.items():
            self.assertEqual(self.env.ref(f"trade_crm_tiering.{xmlid}").with_context(lang="zh_CN").name, name)
        report = self.env["trade.handover"].with_context(lang="zh_CN").fields_get(["report_file"])
        self.assertEqual(report["report_file"]["string"], "交接报告")
