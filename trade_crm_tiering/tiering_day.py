"""The day the tiering passes count from.

The passes read days off stored timestamps in SQL (``date_order::date``, ``create_date::date``),
which are UTC. Counting from a user's local day as well would make "80 days without an order"
read 81 for part of the day, and make a deadline land a day off depending on who ran the pass.
So every pass counts in UTC days, as the nightly cron (run as OdooBot, without a time zone) does.
"""

from datetime import datetime, timezone


def today():
    """Today's date in UTC."""
    return datetime.now(timezone.utc).date()
