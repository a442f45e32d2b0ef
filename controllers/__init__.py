from . import portfolio
