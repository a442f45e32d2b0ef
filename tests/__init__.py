from . import test_grading
