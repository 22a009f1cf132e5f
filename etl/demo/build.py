"""Build the demo warehouse: write synthetic partner files, then load them through the ETL.

The files land beside the warehouse (``<warehouse>-demo-inputs/``) in each partner's own format
(the A&E hub's extract needs a mapping file, police.uk files are as downloaded) so that a new
user can open them and see what real loads look like. Running it again changes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.demo import areas as geo
from etl.demo import events as ev
from etl.demo.census import CENSUS_YEAR, write_census_ethnicity
from etl.load import init_warehouse, load_files
from svcore import outcomes
from svcore.config import WEST_YORKSHIRE, Settings

FIRST_YEAR = 2021
POLICEUK_TYPE = {code: "Violence and sexual offences" for code, *_ in ev.OFFENCES}
POLICEUK_TYPE.update(
    {
        "34A": "Robbery",
        "34B": "Robbery",
        "10A": "Possession of weapons",
        "10C": "Possession of weapons",
        "10D": "Possession of weapons",
    }
)

HEALTH_MAPPING = """\
# The West Yorkshire ISTV hub's A&E extract: its own column names, UK dates, words for sex.
partner = "wy-istv-hub"
feed = "health"

[columns]
AttendanceID = "attendance_ref"
SiteCode = "site_code"
ArrivalDateTime = "arrival_datetime"
AssaultDateTime = "assault_datetime"
InjuryMethod = "assault_method"
LocationType = "assault_location_type"
LocationDescription = "assault_location_description"
AssaultLSOA = "assault_lsoa_code"
Age = "patient_age"
Gender = "patient_sex"
Relationship = "relationship_to_assailant"
Admitted = "admitted"

[values.patient_sex]
Male = "M"
Female = "F"
"Not known" = "unknown"

[dates]
datetime_formats = ["%d/%m/%Y %H:%M"]
"""


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """CSV through Arrow: ten times faster than ``DataFrame.to_csv`` for the demo's volume."""
    table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return path


def _write_monthly(frame: pd.DataFrame, month: pd.Series, folder: Path, name: str) -> list[Path]:
    """One file per month, as partners send them."""
    return [
        _write_csv(chunk, folder / name.format(m)) for m, chunk in frame.groupby(month, sort=True)
    ]


def _months(years: int) -> pd.DatetimeIndex:
    return ev.months(FIRST_YEAR, years)


def _inject_defects(
    df: pd.DataFrame, rng: np.random.Generator, fixes: dict[str, object]
) -> pd.DataFrame:
    """A handful of realistic bad values per file, so the quality page has something to show."""
    df = df.copy()
    n = len(df)
    k = max(1, n // 900)
    rows = rng.choice(n, size=min(k * len(fixes), n), replace=False)
    for i, (col, value) in enumerate(fixes.items()):
        df.loc[df.index[rows[i * k : (i + 1) * k]], col] = value
    return df


def _iso(values: pd.Series, unit: str = "D") -> np.ndarray:
    """ISO text of datetimes, vectorised in numpy (pandas' strftime is 50x slower)."""
    return np.datetime_as_string(values.to_numpy().astype(f"datetime64[{unit}]"), unit=unit)


def write_police(p: pd.DataFrame, rng: np.random.Generator, folder: Path) -> list[Path]:
    offence_min = pd.Series(_iso(p["offence_dt"], "m"), index=p.index, dtype="string")
    out = pd.DataFrame(
        {
            "crime_ref": p["crime_ref"],
            "recorded_date": _iso(p["recorded_date"]),
            "offence_date": offence_min.str.slice(0, 10),
            "offence_time": offence_min.str.slice(11).where(rng.random(len(p)) >= 0.08, ""),
            "ho_offence_code": p["ho_offence_code"],
            "offence_description": p["offence_description"],
            "lsoa_code": np.where(rng.random(len(p)) < 0.02, "", p["lsoa_code"]),
            "location_type": p["location_type"],
            "weapon": p["weapon"],
            "domestic_abuse": p["domestic_abuse"],
            "victim_age": np.where(rng.random(len(p)) < 0.06, "", p["victim_age"].astype(str)),
            "suspect_age": np.where(rng.random(len(p)) < 0.25, "", p["suspect_age"].astype(str)),
            "victim_sex": p["victim_sex"],
            "suspect_sex": np.where(rng.random(len(p)) < 0.2, "unknown", p["suspect_sex"]),
            "victim_ethnicity": p["victim_ethnicity"],
            "suspect_ethnicity": p["suspect_ethnicity"],
            "outcome": p["outcome"],
        }
    )
    oa = rng.random(len(out)) < 0.03
    out.loc[oa, "lsoa_code"] = rng.choice(ev.OUT_OF_AREA_LSOAS, int(oa.sum()))
    paths = []
    month = _iso(p["recorded_date"], "M")
    for m, chunk in out.groupby(month, sort=True):
        chunk = _inject_defects(
            chunk, rng, {"weapon": "knife", "victim_age": "150", "offence_date": "31/02/2023"}
        )
        path = folder / f"police_{m}.csv"
        _write_csv(chunk, path)
        paths.append(path)
    return paths


# What police.uk publishes for each outcome group of the force's records; a third of the
# charged are shown with a court result (in a fixed pattern: no draws from the generator).
POLICEUK_CATEGORY = {
    "charged": "Awaiting court outcome",
    "taken_into_consideration": "Suspect charged as part of another case",
    "caution": "Offender given a caution",
    "penalty_notice": "Offender given penalty notice",
    "cannabis_khat_warning": "Offender given a drugs possession warning",
    "community_resolution": "Local resolution",
    "diversion": "Local resolution",
    "prosecution_prevented": "Formal action is not in the public interest",
    "evidential_difficulties": "Unable to prosecute suspect",
    "no_suspect": "Investigation complete; no suspect identified",
    "other_body": "Action to be taken by another organisation",
    "not_in_public_interest": "Further investigation is not in the public interest",
    "pending": "Under investigation",
    "other": "Status update unavailable",
}


def _policeuk_outcomes(outcome: pd.Series) -> np.ndarray:
    groups = {v: outcomes.group_of(v, "police") for v in outcome.unique()}
    category = outcome.map(groups).map(POLICEUK_CATEGORY).to_numpy(dtype=object)
    charged = (outcome.map(groups) == "charged").to_numpy()
    i = np.arange(len(outcome)) % 6
    category[charged & (i == 0)] = "Offender sent to prison"
    category[charged & (i == 3)] = "Offender given a community sentence"
    return category


def write_policeuk(
    p: pd.DataFrame, areas: geo.Areas, rng: np.random.Generator, folder: Path
) -> list[Path]:
    lsoa_frame = areas.lsoas.set_index("lsoa_code")
    n = len(p)
    ids = [hashlib.sha256(r.encode()).hexdigest() for r in ("demo-" + p["crime_ref"]).tolist()]
    lon = lsoa_frame["centroid_lon"].reindex(p["lsoa_code"]).to_numpy() + rng.normal(0, 0.002, n)
    lat = lsoa_frame["centroid_lat"].reindex(p["lsoa_code"]).to_numpy() + rng.normal(0, 0.0015, n)
    out = pd.DataFrame(
        {
            "Crime ID": ids,
            "Month": _iso(p["offence_dt"], "M"),
            "Reported by": "West Yorkshire Police",
            "Falls within": "West Yorkshire Police",
            "Longitude": np.round(lon, 6),
            "Latitude": np.round(lat, 6),
            "Location": "On or near Synthetic Street",
            "LSOA code": p["lsoa_code"],
            "LSOA name": lsoa_frame["lsoa_name"].reindex(p["lsoa_code"]).to_numpy(),
            "Crime type": p["ho_offence_code"].map(POLICEUK_TYPE),
            "Last outcome category": _policeuk_outcomes(p["outcome"]),
            "Context": "",
        }
    )
    k = int(n * 0.15)  # anti-social behaviour rows: no Crime ID
    asb = out.sample(n=k, random_state=int(rng.integers(1 << 31))).copy()
    asb["Crime ID"], asb["Crime type"], asb["Last outcome category"] = (
        "",
        "Anti-social behaviour",
        "",
    )
    out = pd.concat([out, asb]).sort_values("Month", kind="stable")
    oa = rng.random(len(out)) < 0.05
    out.loc[oa, "LSOA code"] = rng.choice(ev.OUT_OF_AREA_LSOAS, int(oa.sum()))
    out.loc[oa, "LSOA name"] = "Barnsley 001A"
    paths = []
    for m, chunk in out.groupby("Month", sort=True):
        path = folder / f"{m}-west-yorkshire-street.csv"
        _write_csv(chunk, path)
        paths.append(path)
    return paths


def write_health(h: pd.DataFrame, rng: np.random.Generator, folder: Path) -> list[Path]:
    out = pd.DataFrame(
        {
            "AttendanceID": h["ref"],
            "SiteCode": h["site"],
            "ArrivalDateTime": h["arrival_dt"].dt.strftime("%d/%m/%Y %H:%M"),
            "AssaultDateTime": np.where(
                rng.random(len(h)) < 0.1, "", h["assault_dt"].dt.strftime("%d/%m/%Y %H:%M")
            ),
            "InjuryMethod": h["weapon"],
            "LocationType": h["loc"],
            "LocationDescription": "outside a synthetic venue",
            "AssaultLSOA": h["lsoa"],
            "Age": h["age"].astype(str),
            "Gender": h["sex"].map({"M": "Male", "F": "Female"}),
            "Relationship": h["relationship"],
            "Admitted": h["admitted"],
        }
    )
    paths = []
    for m, chunk in out.groupby(h["arrival_dt"].dt.strftime("%Y-%m"), sort=True):
        chunk = _inject_defects(chunk, rng, {"Gender": "Mle"})
        path = folder / f"istv_ae_assaults_{m}.csv"
        _write_csv(chunk, path)
        paths.append(path)
    return paths


def write_probation(pr: pd.DataFrame, folder: Path) -> list[Path]:
    cols = [
        "person_ref",
        "snapshot_date",
        "case_start_date",
        "age",
        "sex",
        "ethnicity",
        "index_offence_group",
        "rosh_level",
        "supervision_type",
        "home_lsoa_code",
    ]
    out = pr[cols].copy()
    out["snapshot_date"] = out["snapshot_date"].dt.strftime("%Y-%m-%d")
    out["case_start_date"] = out["case_start_date"].dt.strftime("%Y-%m-%d")
    return _write_monthly(out, out["snapshot_date"].str[:7], folder, "probation_caseload_{}.csv")


def write_youth_justice(y: pd.DataFrame, folder: Path) -> list[Path]:
    out = y.copy()
    out["offence_date"] = out["offence_date"].dt.strftime("%Y-%m-%d")
    return _write_monthly(out, out["offence_date"].str[:7], folder, "yjs_proven_offences_{}.csv")


def write_indicators(
    areas: geo.Areas, rng: np.random.Generator, years: int, folder: Path
) -> list[Path]:
    """Area indicators correlated (imperfectly) with deprivation and the night-time economy."""
    w = areas.wards.set_index("ward_code")
    lsoa_frame = areas.lsoas
    ward_dep = (
        lsoa_frame.groupby("ward_code")["deprivation_score"].mean().reindex(w.index).to_numpy()
    )
    ward_nte = lsoa_frame.groupby("ward_code")["nte_weight"].sum().reindex(w.index).to_numpy()
    d = areas.districts.set_index("district_code")
    dist_dep = (
        lsoa_frame.groupby("district_code")["deprivation_score"].mean().reindex(d.index).to_numpy()
    )
    paths = []
    for i in range(years):
        year = FIRST_YEAR + i
        rows = []
        for code, dep, nte in zip(w.index, ward_dep, ward_nte, strict=True):
            rows.append(
                (
                    "claimant_count_rate",
                    "Claimant count, % of residents aged 16-64",
                    code,
                    str(year),
                    round(max(0.5, 4.2 + 2.1 * dep + rng.normal(0, 0.6)), 1),
                    "percent",
                    "DWP (synthetic)",
                )
            )
            rows.append(
                (
                    "alcohol_licensed_premises",
                    "Premises licensed to sell alcohol",
                    code,
                    str(year),
                    int(max(3, 25 + 900 * nte + rng.normal(0, 8))),
                    "count",
                    "Licensing authority (synthetic)",
                )
            )
        for code, dep in zip(d.index, dist_dep, strict=True):
            ay = f"{year}/{(year + 1) % 100:02d}"
            rows.append(
                (
                    "suspension_rate",
                    "Suspensions per 100 pupils",
                    code,
                    ay,
                    round(max(1, 7.5 + 3.0 * dep + rng.normal(0, 0.7)), 2),
                    "rate_per_100",
                    "DfE (synthetic)",
                )
            )
            rows.append(
                (
                    "children_in_need_rate",
                    "Children in need per 10,000 children",
                    code,
                    str(year),
                    round(max(100, 380 + 90 * dep + rng.normal(0, 20)), 1),
                    "rate_per_10000",
                    "DfE (synthetic)",
                )
            )
            rows.append(
                (
                    "neet_rate",
                    "16-17 year olds NEET or not known, %",
                    code,
                    str(year),
                    round(max(1, 5.0 + 1.5 * dep + rng.normal(0, 0.5)), 1),
                    "percent",
                    "DfE (synthetic)",
                )
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "indicator_code",
                "indicator_name",
                "area_code",
                "period",
                "value",
                "unit",
                "source",
            ],
        )
        path = folder / f"indicators_{year}.csv"
        _write_csv(frame, path)
        paths.append(path)
    return paths


def build_demo(
    warehouse: Path,
    seed: int = 42,
    years: int = 5,
    progress: Callable[[int, int, str], None] | None = None,
    geography: Path | None = None,
    lsoa_boundaries: Path | None = None,
) -> dict:
    """Write the demo partner files and load them; idempotent for the same seed.

    With ``geography`` (an ONS lookup) and ``lsoa_boundaries`` (GeoJSON) the events are laid on
    those real LSOAs instead of the synthetic ones; the real files are loaded as they are.
    """
    t0 = time.perf_counter()
    warehouse = Path(warehouse)
    folder = warehouse.parent / f"{warehouse.name}-demo-inputs"
    folder.mkdir(parents=True, exist_ok=True)
    init_warehouse(
        warehouse,
        Settings(
            districts=tuple(WEST_YORKSHIRE),
            area_name="West Yorkshire Violence Reduction Partnership (demo, synthetic data)",
            demo=True,
        ),
    )
    steps = 13
    say = progress or (lambda done, total, label: None)
    say(0, steps, "Synthetic areas")
    rng = np.random.default_rng(seed)
    months = _months(years)
    jobs: list[tuple[str, list[Path], Path | None]] = []
    ref = folder / "reference"
    ref.mkdir(exist_ok=True)
    if geography is not None and lsoa_boundaries is not None:
        from etl.demo.real_areas import real_areas, write_population_long

        areas = real_areas(geography, lsoa_boundaries, tuple(WEST_YORKSHIRE), seed)
        jobs.append(("geography", [Path(geography)], None))
        jobs.append(("boundaries", [Path(lsoa_boundaries)], None))
        jobs.append(
            (
                "population",
                [write_population_long(areas, ref / f"population_{FIRST_YEAR}.csv", FIRST_YEAR)],
                None,
            )
        )
        census = ref / "census2021-ts021-lsoa.csv"
        totals = areas.lsoas["population"].to_numpy()
        jobs.append(
            ("census_ethnicity", [write_census_ethnicity(areas.lsoas, totals, census, seed)], None)
        )
    else:
        areas = geo.build_areas(seed)
        _synthetic_reference(areas, ref, years, jobs)
        # Residents by ethnic group: the 2021 population estimate of each LSOA, shared out.
        totals = geo.population_for_year(areas, CENSUS_YEAR).sum(1)
        census = ref / "census2021-ts021-lsoa.csv"
        jobs.append(
            ("census_ethnicity", [write_census_ethnicity(areas.lsoas, totals, census, seed)], None)
        )
    _event_files(areas, rng, months, years, folder, jobs, say, steps)
    loaded = unchanged = refused = 0
    for i, (feed, paths, mapping_path) in enumerate(jobs):
        say(3 + i, steps, f"Loading {feed} ({len(paths)} files)")
        for r in load_files(warehouse, feed, paths, mapping_path=mapping_path):
            loaded += r.status == "loaded"
            unchanged += r.status == "unchanged"
            refused += r.status == "refused"
            if r.status == "refused":
                raise RuntimeError(f"demo file refused: {r.path}: {r.message}")
    say(steps, steps, "Done")
    return {
        "warehouse": str(warehouse),
        "inputs": str(folder),
        "files_loaded": loaded,
        "files_unchanged": unchanged,
        "files_refused": refused,
        "seconds": time.perf_counter() - t0,
    }


def _synthetic_reference(areas: geo.Areas, ref: Path, years: int, jobs: list) -> None:
    jobs.append(
        (
            "geography",
            [geo.write_geography_lookup(areas, ref / "LSOA21_WD23_LAD23_synthetic_LU.csv")],
            None,
        )
    )
    jobs.append(
        (
            "boundaries",
            [
                geo.write_boundaries(areas, ref / f"{lvl}_boundaries_synthetic.geojson", lvl)
                for lvl in ("district", "ward", "lsoa")
            ],
            None,
        )
    )
    jobs.append(
        (
            "population",
            [
                geo.write_population(
                    areas, ref / f"sapelsoasyoa_mid{FIRST_YEAR + i}_synthetic.csv", FIRST_YEAR + i
                )
                for i in range(years)
            ],
            None,
        )
    )
    jobs.append(("imd", [geo.write_imd(areas, ref / "File_2_IoD2019_Domains_synthetic.csv")], None))


def _event_files(
    areas,
    rng: np.random.Generator,
    months: pd.DatetimeIndex,
    years: int,
    folder: Path,
    jobs: list,
    say: Callable[[int, int, str], None],
    steps: int,
) -> None:
    say(1, steps, "Synthetic police records")
    police = ev.police_events(areas, rng, months)
    for name in ("police", "policeuk", "health", "probation", "youth_justice", "indicators"):
        (folder / name).mkdir(exist_ok=True)
    jobs.append(("police", write_police(police, rng, folder / "police"), None))
    jobs.append(("policeuk", write_policeuk(police, areas, rng, folder / "policeuk"), None))
    say(2, steps, "Synthetic A&E, probation, youth justice")
    health = ev.health_attendances(areas, rng, police, months)
    mapping = folder / "health" / "istv_hub_mapping.toml"
    mapping.write_text(HEALTH_MAPPING, encoding="utf-8")
    jobs.append(("health", write_health(health, rng, folder / "health"), mapping))
    jobs.append(
        (
            "probation",
            write_probation(ev.probation_caseload(areas, rng, months), folder / "probation"),
            None,
        )
    )
    jobs.append(
        (
            "youth_justice",
            write_youth_justice(
                ev.youth_justice_offences(areas, rng, months), folder / "youth_justice"
            ),
            None,
        )
    )
    jobs.append(("indicators", write_indicators(areas, rng, years, folder / "indicators"), None))
