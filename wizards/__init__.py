from . import trade_grade_request_reject
