"""A seeded, synthetic geography for West Yorkshire's five real districts, for the demo data.

The demo must look like a real partnership (real district codes, names and rough shapes; ward and
LSOA counts, populations and a deprivation gradient like the real ones) without shipping or
impersonating real small areas: every ward and LSOA here is invented, carries a code in a range ONS
never issues (``E059xxxxx`` / ``E019xxxxx``) and a name ending "(synthetic)".

Only the coarse district outlines come from real data; they were derived once from ONS ward
boundaries by :func:`derive_outline` (``python -m etl.demo.outline``, by hand) and committed as
``west_yorkshire_outline.json`` so the product never reads ``/work/shared``.

The writers emit the published ONS / MHCLG layouts so the demo goes through the real ETL.

This module is the entry point, :func:`build_areas`, and every public name of the parts it is
built from: ``calibration`` (the real districts, towns and shares it is calibrated to),
``outline`` (the committed district outlines), ``geometry`` (the Voronoi tilings),
``attributes`` (deprivation, students, night-time economy, population), ``tables``
(:class:`Areas`, the frames) and ``writers`` (the ONS / MHCLG files).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

from etl.demo.attributes import age_sex_counts, decile_of, lsoa_attributes
from etl.demo.calibration import (
    AGES,
    BASE_YEAR,
    DEPRIVATION_BUMPS,
    DISTRICTS,
    DOMAIN_WEIGHTS,
    DOMAINS,
    ENGLAND_LSOAS,
    GROWTH_PER_YEAR,
    MAIN_CENTRES,
    MAX_AGE,
    RESIDENTS_PER_LSOA,
    STUDENT_SITES,
    TOWNS,
    WY_DECILE_SHARES,
    DistrictSpec,
    Town,
)
from etl.demo.geometry import (
    CANDIDATES_PER_LSOA,
    KX,
    KY,
    build_district,
    inner_points,
    km_coords,
    north_to_south,
    to_wgs84,
    town_districts,
)
from etl.demo.outline import (
    OUTLINE_ATTRIBUTION,
    OUTLINE_FILE,
    SHARED_WARDS,
    derive_outline,
    load_outline,
)
from etl.demo.tables import LEVELS, Areas, assemble
from etl.demo.writers import (
    IMD_FILE2_HEADER,
    population_for_year,
    write_boundaries,
    write_geography_lookup,
    write_imd,
    write_population,
)

__all__ = [
    "AGES",
    "BASE_YEAR",
    "CANDIDATES_PER_LSOA",
    "DEPRIVATION_BUMPS",
    "DISTRICTS",
    "DOMAIN_WEIGHTS",
    "DOMAINS",
    "ENGLAND_LSOAS",
    "GROWTH_PER_YEAR",
    "IMD_FILE2_HEADER",
    "LEVELS",
    "MAIN_CENTRES",
    "MAX_AGE",
    "OUTLINE_ATTRIBUTION",
    "OUTLINE_FILE",
    "RESIDENTS_PER_LSOA",
    "SHARED_WARDS",
    "STUDENT_SITES",
    "TOWNS",
    "WY_DECILE_SHARES",
    "Areas",
    "DistrictSpec",
    "Town",
    "build_areas",
    "decile_of",
    "derive_outline",
    "load_outline",
    "population_for_year",
    "write_boundaries",
    "write_geography_lookup",
    "write_imd",
    "write_population",
]


def build_areas(seed: int = 42) -> Areas:
    """Generate the synthetic geography; the same seed always gives identical areas."""
    rng = np.random.default_rng(seed)
    outline = load_outline()
    town_district = town_districts(outline)

    lsoa_km: list[Polygon] = []
    lsoa_ward: list[int] = []
    ward_km: list[Polygon] = []
    ward_district: list[int] = []
    for d, spec in enumerate(DISTRICTS):
        region = shapely.transform(outline[spec.code][1], km_coords)
        towns = [t for t in TOWNS if town_district[t.name] == spec.code]
        wards, lsoas = build_district(rng, spec, region, towns)
        for ward, cells in zip(wards, lsoas, strict=True):
            lsoa_km.extend(north_to_south(cells))
            lsoa_ward.extend([len(ward_km)] * len(cells))
            ward_km.append(ward)
            ward_district.append(d)

    lsoa_ll = to_wgs84(lsoa_km)
    ward_ll = to_wgs84(ward_km)
    lsoa_pt = inner_points(lsoa_ll, ward_ll[np.asarray(lsoa_ward)])
    ward_pt = inner_points(ward_ll, ward_ll)
    lsoa_ward_a = np.asarray(lsoa_ward)
    lsoa_district = np.asarray(ward_district)[lsoa_ward_a]
    lsoa_area = shapely.area(lsoa_ll) * KX * KY

    attrs = lsoa_attributes(rng, lsoa_pt, lsoa_area, lsoa_district)
    counts = age_sex_counts(rng, attrs, lsoa_district)

    return assemble(
        seed,
        outline,
        town_district,
        lsoa_ll,
        lsoa_pt,
        lsoa_area,
        lsoa_ward_a,
        ward_ll,
        ward_pt,
        np.asarray(ward_district),
        attrs,
        counts,
    )


if __name__ == "__main__":
    print(derive_outline())
