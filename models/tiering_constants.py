"""The add-on's security groups and the selections several models share: one home for each.

Plain constants, no Odoo import: models, wizards and tests import them from here.
"""

# Security groups (xml ids)
REP_GROUP = "trade_crm_tiering.group_tiering_user"
SUPERVISOR_GROUP = "trade_crm_tiering.group_tiering_supervisor"
GM_GROUP = "trade_crm_tiering.group_tiering_gm"
ADMIN_GROUP = "trade_crm_tiering.group_tiering_admin"
# Odoo's own sales groups.
SALESMAN_GROUP = "sales_team.group_sale_salesman"
SALES_MANAGER_GROUP = "sales_team.group_sale_manager"
# Who may give a customer another salesperson directly; reps go through a pool claim or a handover.
REASSIGN_GROUPS = (SUPERVISOR_GROUP, ADMIN_GROUP, SALES_MANAGER_GROUP)

# Customer grades
STAR_SELECTION = [
    ("0", "0 stars"),
    ("1", "1 star"),
    ("2", "2 stars"),
    ("3", "3 stars"),
    ("4", "4 stars"),
    ("5", "5 stars"),
]
CATEGORY_SELECTION = [("ordinary", "Ordinary"), ("key", "Key Account"), ("vip", "VIP")]

# Scores (trade.tiering.scoring)
RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("promising", "Promising"),
    ("need_attention", "Needs Attention"),
    ("at_risk", "At Risk"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]
VALUE_CLASSES = [
    ("treasure", "Treasure"),
    ("demanding_star", "Demanding Star"),
    ("volume_base", "Volume Base"),
    ("costly_giant", "Costly Giant"),
    ("hidden_gem", "Hidden Gem"),
    ("costly_niche", "Costly Niche"),
    ("maintain", "Low Value"),
    ("let_go", "Let Go"),
]
HEALTH_BANDS = [("good", "Good"), ("fair", "Fair"), ("poor", "Poor")]
HEALTH_TRENDS = [("rising", "Rising"), ("steady", "Steady"), ("falling", "Falling")]
# Ratings reps enter, 1-5
RATING_INDUSTRY = [
    ("1", "1 - Shrinking"),
    ("2", "2 - Weak"),
    ("3", "3 - Stable"),
    ("4", "4 - Growing"),
    ("5", "5 - Booming"),
]
RATING_SIZE = [
    ("1", "1 - Very small"),
    ("2", "2 - Small"),
    ("3", "3 - Medium"),
    ("4", "4 - Large"),
    ("5", "5 - Very large"),
]
RATING_WALLET = [
    ("1", "1 - We have nearly all of it"),
    ("2", "2 - We have most of it"),
    ("3", "3 - We have about half"),
    ("4", "4 - We have a small part"),
    ("5", "5 - We have almost none"),
]
RATING_CHAIN = [
    ("1", "1 - One decision maker"),
    ("2", "2 - Simple"),
    ("3", "3 - A few people involved"),
    ("4", "4 - Complex"),
    ("5", "5 - Many layers and approvals"),
]

# Trade profile
TRADE_SOURCES = [
    ("trade_show", "Trade Show"),
    ("b2b_platform", "B2B Platform"),
    ("website_inquiry", "Website Inquiry"),
    ("referral", "Referral"),
    ("outbound", "Outbound"),
    ("other", "Other"),
]
SIZE_BANDS = [
    ("micro", "1-9 employees"),
    ("small", "10-49 employees"),
    ("medium", "50-249 employees"),
    ("large", "250-999 employees"),
    ("enterprise", "1,000+ employees"),
]
CREDIT_RATINGS = [(rating, rating) for rating in ("AAA", "AA", "A", "BBB", "BB", "B", "C")]
CHANNELS = [
    ("email", "Email"),
    ("phone", "Phone"),
    ("whatsapp", "WhatsApp"),
    ("wechat", "WeChat"),
    ("linkedin", "LinkedIn"),
    ("video", "Video Call"),
    ("visit", "Visit"),
]

# Lifecycle stages (trade.lifecycle)
LIFECYCLE_STAGES = [("potential", "Potential"), ("intent", "Intent"), ("deal", "Deal"), ("lost", "Lost")]
