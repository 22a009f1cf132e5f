"""Area, period and click-filter conditions every query shares: the filter bar's districts and wards, and the user's scope.

``Filters.scope`` is set by the server from the signed-in user, never from the URL: a duty
holder's scope is their districts, so a crafted URL or callback for another district selects
nothing here, in the query layer, whatever the page shows.
"""

from __future__ import annotations

from dashboard.filters import Filters
from svcore.sql import Params


def area_conditions(filters: Filters, params: Params, alias: str) -> list[str]:
    """SQL conditions on ``alias.district_code`` / ``alias.ward_code``; values as parameters."""
    conds = []
    if filters.districts:
        conds.append(f"{alias}.district_code = ANY({params.add(list(filters.districts))})")
    if filters.wards:
        conds.append(f"{alias}.ward_code = ANY({params.add(list(filters.wards))})")
    if filters.scope is not None:
        if filters.scope:
            conds.append(f"{alias}.district_code = ANY({params.add(list(filters.scope))})")
        else:
            conds.append("FALSE")
    return conds


def period_and_click_conditions(
    filters: Filters, params: Params, alias: str, weekday_sql: str | None = None
) -> list[str]:
    """SQL conditions on the period and the click filters (weapon, location, day, hour), the
    same over the events and over a rollup; ``weekday_sql`` is how the relation holds the day
    (events hold a date, rollups the day's name)."""
    conds = []
    if filters.date_from:
        conds.append(f"{alias}.period >= strptime({params.add(filters.date_from)}, '%Y-%m')")
    if filters.date_to:
        conds.append(f"{alias}.period <= strptime({params.add(filters.date_to)}, '%Y-%m')")
    if filters.weapon is not None:
        conds.append(f"{alias}.weapon = {params.add(filters.weapon)}")
    if filters.location is not None:
        conds.append(f"{alias}.location_type = {params.add(filters.location)}")
    if filters.weekday is not None:
        day = weekday_sql or f"{alias}.weekday"
        conds.append(f"{day} = {params.add(filters.weekday)}")
    if filters.hour is not None:
        conds.append(f"{alias}.hour = {params.add(filters.hour)}")
    return conds
