"""Service tiers: which tier serves which star grade."""

from dataclasses import dataclass

STARS = range(6)


@dataclass(frozen=True)
class CoverageProblem:
    kind: str  # "gap" or "overlap"
    stars: tuple
    tiers: tuple = ()


def coverage_problem(ranges):
    """None when ``ranges`` (``[(tier, min_star, max_star)]``) cover 0-5 stars once each.

    Otherwise the first problem: the stars no tier covers, or two tiers and the stars they share.
    """
    ranges = sorted(ranges, key=lambda item: (item[1], item[2]))
    for index, (tier, low, high) in enumerate(ranges):
        for other, other_low, other_high in ranges[index + 1 :]:
            shared = tuple(range(max(low, other_low), min(high, other_high) + 1))
            if shared:
                return CoverageProblem("overlap", shared, (tier, other))
    covered = {star for _tier, low, high in ranges for star in range(low, high + 1)}
    missing = tuple(star for star in STARS if star not in covered)
    if missing:
        return CoverageProblem("gap", missing)
    return None


def tier_by_star(ranges):
    """``{star: tier}`` for ``ranges`` that cover 0-5 stars (see coverage_problem)."""
    return {star: tier for tier, low, high in ranges for star in range(low, high + 1)}
