from . import trade_approval_reject
from . import trade_handover_wizard
from . import trade_handover_wizard_line
from . import trade_customer_import_wizard
from . import trade_customer_import_line
from . import trade_customer_export_wizard
from . import base_partner_merge
from . import portal_share_quote
