"""Area conditions every query shares: the filter bar's districts and wards, and the user's scope.

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
