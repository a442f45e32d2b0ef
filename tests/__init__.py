from . import test_approval
from . import test_demo
from . import test_grading
from . import test_portfolio
from . import test_security
from . import test_service_tiers
from . import test_tour
from . import test_translation
