# The Chinese texts below use full-width colons and semicolons, as the translations do.
# ruff: noqa: RUF001
import re
from datetime import timedelta
from unittest.mock import patch

from markupsafe import Markup

from odoo import Command, fields
from odoo.tests import Form, HttpCase, tagged

from ..models import trade_tiering_engine
from .common import GM_GROUPS, REP_GROUPS, SUPERVISOR_GROUPS, TieringCase, company_user
from .test_nightly import CRONS

INF = float("inf")
# Words of three letters or more that are no English: currency codes.
ALLOWED_WORDS = {"USD"}


def english_words(text):
    """The ASCII words of ``text`` (HTML tags stripped) an English source would leave behind."""
    plain = Markup(str(text or "")).striptags()
    return sorted(set(re.findall(r"[A-Za-z]{3,}", plain)) - ALLOWED_WORDS)


@tagged("post_install", "-at_install")
class TestRecipientLanguage(TieringCase):
    """The nightly jobs write each text in its reader's language, not their own (#16.1).

    They run as an English user, as the cron's user is; the reps, the supervisor and the general
    manager read Chinese. Names (company, customers, people) are Chinese, so that any ASCII word
    left in a text is English the jobs wrote.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        company = cls.company
        company.name = "华东出口有限公司"
        # This company's tiers were copied before the Chinese terms were loaded: give them theirs.
        for code in "ABCD":
            template = cls.env.ref(f"trade_crm_tiering.service_tier_{code.lower()}").with_context(lang="zh_CN")
            tier = cls.env["trade.service.tier"].search([("company_id", "=", company.id), ("code", "=", code)])
            tier.update_field_translations("name", {"zh_CN": template.name})
        cls.rep = cls._user("lang_rep_zh", REP_GROUPS, "王丽", "zh_CN")
        cls.supervisor = cls._user("lang_sup_zh", SUPERVISOR_GROUPS, "陈刚", "zh_CN")
        cls.gm = cls._user("lang_gm_zh", GM_GROUPS, "林总", "zh_CN")
        cls.english_rep = cls._user("lang_rep_en", REP_GROUPS, "Ravi Rep", "en_US")
        company.write(
            {
                "tiering_approver_id": cls.supervisor.id,
                "tiering_gm_id": cls.gm.id,
                # Any largest customer is a critical concentration: the alert is raised.
                "tiering_top1_moderate": 1.0,
                "tiering_top1_high": 2.0,
                "tiering_top1_critical": 3.0,
            }
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "华东团队", "company_id": company.id, "user_id": cls.supervisor.id, "member_ids": cls.rep.ids}
        )
        zh = {"user_id": cls.rep.id, "team_id": cls.team.id}
        cls.slowing = cls._customer("宁波木业", **zh)  # every 30 days, then nothing for 80: frequency drop
        for days_ago in (200, 170, 140, 110, 80):
            cls._order(cls.slowing, 5_000, days_ago=days_ago)
        cls.spiking = cls._customer("苏州家具", **zh)  # growth spike: the supervisor's
        cls._order(cls.spiking, 10_000, days_ago=250)
        cls._order(cls.spiking, 35_000, days_ago=20)
        cls.sleeping = cls._customer("杭州板材", **zh)  # dormant
        cls._order(cls.sleeping, 8_000, days_ago=400)
        cls.released = cls._customer("厦门石材", **zh)  # tier D, idle 35 days: back to the team pool
        cls._order(cls.released, 1_000, days_ago=35)
        cls.idle = cls._customer("温州五金", **zh)  # tier D, idle 25 days: warned of the pool
        cls._order(cls.idle, 1_000, days_ago=25)
        cls.growing = cls._customer("广州贸易", **zh)  # 2 stars; 3 stars once the threshold drops
        cls._order(cls.growing, 60_000, days_ago=10)
        cls.english = cls._customer("成都建材", user_id=cls.english_rep.id)  # the English rep's
        for days_ago in (200, 170, 140, 110, 80):
            cls._order(cls.english, 5_000, days_ago=days_ago)
        cls.env.cr.flush()  # the orders' commit hooks
        cls.env["res.partner"].action_tiering_regrade()  # the first full regrade: a classification
        company.tiering_auto_upgrade = "request"

    def _run_nightly_jobs(self):
        """The five scheduled actions, as the cron runner runs them: as their user (OdooBot), in
        English."""
        # Above the threshold the grading pass moves the grade: 60,000 gives 3 stars now.
        self.company.tiering_threshold_3 = 55_000
        for xmlid in CRONS:
            cron = self.env.ref(xmlid)
            self.assertEqual(cron.user_id.lang, "en_US")
            # Each job through to the end in one call (the runner would call it again until done).
            cron.with_context(lang="en_US", trade_nightly_budget=INF).method_direct_trigger()

    def _as(self, user):
        """The environment of ``user`` as the web client gives it: in the user's language."""
        return self.env(user=user, context=dict(self.env.context, lang=user.lang))

    def _activity(self, record, xmlid, user):
        return self._as(user)["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def _warning(self, partner, warning_type, user):
        return self._as(user)["trade.customer.warning"].search(
            [("partner_id", "=", partner.id), ("warning_type", "=", warning_type)]
        )

    def assertChinese(self, text, expected=None):  # noqa: N802 (unittest's naming)
        self.assertTrue(text, "a text was written")
        self.assertFalse(english_words(text), f"English left in {text!r}")
        if expected:
            self.assertIn(expected, Markup(str(text)).striptags())

    def test_nightly_texts_are_in_the_readers_language(self):
        # The bulk path of the regrade notes, as at 100,000 customers.
        with patch.object(trade_tiering_engine, "ORM_MESSAGE_LIMIT", 0):
            self._run_nightly_jobs()

        # Warnings, their activities: the rep's (frequency drop) and the supervisor's (growth spike).
        drop = self._warning(self.slowing, "frequency_drop", self.rep)
        self.assertEqual(drop.details, "已 80 天未下单；该客户通常每 30 天下一次单。")
        activity = self._activity(self.slowing, "trade_crm_tiering.mail_activity_type_retention", self.rep)
        self.assertEqual(activity.summary, "挽留：下一张订单已逾期未到")
        self.assertChinese(activity.note, drop.details)
        spike = self._warning(self.spiking, "growth_spike", self.supervisor)
        self.assertEqual(spike.user_id, self.supervisor)
        self.assertChinese(spike.details, "3.5")
        activity = self._activity(
            self.spiking, "trade_crm_tiering.mail_activity_type_upgrade_opportunity", self.supervisor
        )
        self.assertEqual(activity.summary, "升级机会：采购额大幅增长")
        dormant = self._warning(self.sleeping, "dormant", self.rep)
        self.assertChinese(dormant.details, "年")  # the date in the Chinese format
        activity = self._activity(self.sleeping, "trade_crm_tiering.mail_activity_type_dormant", self.rep)
        self.assertEqual(activity.summary, "休眠客户：争取挽回")
        self.assertChinese(drop.display_name)

        # The customer back in the pool: its note is in its last salesperson's language.
        self.assertFalse(self.released.user_id)
        note = self.released.with_env(self._as(self.supervisor)).message_ids.filtered(
            lambda m: "公海" in (m.body or "")
        )
        self.assertChinese(note.body, "原业务员为 王丽")
        # The customer about to go back to it: the warning activity of its salesperson.
        activity = self._activity(self.idle, "trade_crm_tiering.mail_activity_type_pool_warning", self.rep)
        self.assertChinese(activity.note, "温州五金")

        # The regrade note and its tracking lines, in the salesperson's language.
        growing = self.growing.with_env(self._as(self.rep))
        note = growing.message_ids.filtered(lambda m: "重新定级" in (m.body or ""))[:1]
        self.assertChinese(note.body, "已在 华东出口有限公司 重新定级")
        lines = note.sudo().tracking_value_ids
        self.assertEqual(lines.mapped("new_value_char"), ["3 星"])
        for line in lines:
            self.assertChinese(line.old_value_char)

        # The automatic grade request: its name, its reason and the approver's activity.
        # Reps see the requests they made; the supervisor sees this one, which the data made.
        request = self._as(self.supervisor)["trade.grade.request"].search([("partner_id", "=", self.growing.id)])
        self.assertEqual((request.state, request.source), ("to_approve", "auto"))
        self.assertEqual(request.display_name, "广州贸易：2 星 → 3 星")
        self.assertChinese(request.reason)
        activity = self._activity(request, "trade_crm_tiering.mail_activity_type_grade_approval", self.supervisor)
        self.assertChinese(activity.note, "广州贸易：2 星 → 3 星")

        # The concentration alert, for the general manager.
        alert = self._as(self.gm)["trade.concentration.alert"].search(
            [("company_id", "=", self.company.id), ("measure", "=", "top1")]
        )
        self.assertChinese(alert.display_name)
        activity = self._activity(alert, "trade_crm_tiering.mail_activity_type_concentration", self.gm)
        self.assertChinese(activity.summary, "华东出口有限公司")
        self.assertChinese(activity.note)

        # An English rep still reads English.
        english = self._warning(self.english, "frequency_drop", self.english_rep)
        self.assertEqual(english.details, "No order for 80 days; it usually orders every 30 days.")
        activity = self._activity(self.english, "trade_crm_tiering.mail_activity_type_retention", self.english_rep)
        self.assertEqual(activity.summary, "Retention: the next order is overdue")
        self.assertIn(english.details, activity.note)
        self.assertEqual(
            request.with_context(lang="en_US").display_name,
            "广州贸易: 2 stars → 3 stars",
            "the request's name is rendered in its reader's language",
        )

    def test_approval_activity_in_the_approvers_language(self):
        """An English rep asks for a key grade: the Chinese approver's to-do reads Chinese."""
        form = Form(self.env["trade.grade.request"].with_user(self.english_rep))
        form.partner_id = self.english
        form.requested_star = "3"
        form.reason = "新开展厅"
        request = form.save()
        request.with_user(self.english_rep).action_submit()
        activity = self._activity(request, "trade_crm_tiering.mail_activity_type_grade_approval", self.supervisor)
        self.assertEqual(activity.user_id, self.supervisor)
        self.assertChinese(activity.note, "成都建材：1 星 → 3 星")
        self.assertIn("理由：新开展厅", activity.note)
        self.assertEqual(request.with_env(self._as(self.english_rep)).display_name, "成都建材: 1 star → 3 stars")

    def test_regrade_after_an_order_writes_the_salespersons_language(self):
        """A single order's regrade logs its note through the ORM: in the salesperson's language
        too, whoever confirmed the order."""
        self._order(self.growing, 300_000, days_ago=1)
        self.env.cr.flush()  # the order's commit hook regrades the customer
        note = self.growing.with_env(self._as(self.rep)).message_ids.filtered(lambda m: "重新定级" in (m.body or ""))[
            :1
        ]
        self.assertChinese(note.body, "年采购金额")
        self.assertEqual(note.sudo().tracking_value_ids.mapped("new_value_char"), ["3 星"])


@tagged("post_install", "-at_install")
class TestWarningsTourChinese(HttpCase):
    """A Chinese supervisor opens the Warnings list: the nightly job wrote them in Chinese (#16.1)."""

    def test_supervisor_reads_chinese_warnings(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["trade_crm_tiering"], ["zh_CN"], overwrite=True)
        usd = self.env.ref("base.USD")
        company = self.env["res.company"].create({"name": "华南出口有限公司", "currency_id": usd.id})
        self.env.user.company_ids |= company
        people = {}
        for login, groups, name in (
            ("tour_zh_rep", REP_GROUPS, "张伟"),
            ("tour_zh_sup", SUPERVISOR_GROUPS, "赵敏"),
        ):
            people[login] = company_user(self.env, company, login, groups, name, lang="zh_CN")
        company.tiering_approver_id = people["tour_zh_sup"]
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        pricelist = env["product.pricelist"].create(
            {"name": "Tour USD", "currency_id": usd.id, "company_id": company.id}
        )
        product = env["product.product"].create({"name": "Tour Plywood", "taxes_id": [Command.clear()]})
        customer = env["res.partner"].create(
            {"name": "佛山木业", "is_company": True, "user_id": people["tour_zh_rep"].id}
        )
        for days_ago in (200, 170, 140, 110, 80):  # every 30 days, then nothing for 80
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [Command.create({"product_id": product.id, "price_unit": 5_000, "tax_id": False})],
                }
            )
            order.action_confirm()
            order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        # The nightly scoring job, in English as the cron's user runs it.
        env["trade.tiering.nightly"].with_context(lang="en_US", trade_nightly_budget=INF)._cron_scoring()
        warning = env["trade.customer.warning"].search(
            [("partner_id", "=", customer.id), ("warning_type", "=", "frequency_drop")]
        )
        self.assertEqual(warning.details, "已 80 天未下单；该客户通常每 30 天下一次单。")
        self.start_tour(
            "/odoo/action-trade_crm_tiering.action_trade_customer_warning",
            "trade_crm_tiering_warnings_zh",
            login=people["tour_zh_sup"].login,
        )
