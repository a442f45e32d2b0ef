from . import trade_approval_reject
