"""Seeded synthetic partner records for the demo: West Yorkshire-like in shape and size.

Calibrated to published figures (PRODUCT.md): ~2,700 knife offences and ~34 homicides a year,
night-time and weekend peaks, a summer high, ~3x more violence in the most deprived areas than
the least, city-centre hotspots, young-male victim and suspect profiles, and about 60% of A&E
assault attendances unknown to police. Everything is drawn from one numpy Generator so the
same seed gives the same files byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.demo.areas import Areas

# Home Office offence codes in the force extract: (code, description, per year, share with a
# knife, with a firearm, domestic-abuse share, share female victims).
OFFENCES = (
    ("1", "Murder", 28, 0.40, 0.05, 0.20, 0.25),
    ("4/1", "Manslaughter", 6, 0.30, 0.0, 0.20, 0.25),
    ("2", "Attempted murder", 30, 0.45, 0.10, 0.15, 0.25),
    ("5D", "Assault with intent to cause serious harm", 2000, 0.28, 0.01, 0.20, 0.25),
    ("5E", "Endangering life", 200, 0.05, 0.02, 0.10, 0.30),
    ("8N", "Assault with injury", 21000, 0.01, 0.0, 0.38, 0.45),
    ("8P", "Racially or religiously aggravated assault with injury", 600, 0.02, 0.0, 0.0, 0.35),
    ("105A", "Assault without injury", 24000, 0.002, 0.0, 0.40, 0.52),
    ("3A", "Threats to kill", 1500, 0.12, 0.01, 0.35, 0.55),
    ("34A", "Robbery of business property", 300, 0.20, 0.03, 0.0, 0.35),
    ("34B", "Robbery of personal property", 2400, 0.16, 0.01, 0.0, 0.25),
    ("10A", "Possession of firearms with intent", 50, 0.0, 1.0, 0.0, 0.1),
    ("10C", "Possession of other weapons", 600, 0.0, 0.0, 0.0, 0.1),
    ("10D", "Possession of article with blade or point", 1700, 1.0, 0.0, 0.0, 0.1),
    ("19C", "Rape of a female aged 16 and over", 1800, 0.01, 0.0, 0.45, 0.98),
    ("17A", "Sexual assault on a female aged 13 and over", 2500, 0.0, 0.0, 0.15, 0.95),
)

MONTH_SEASON = np.array([0.94, 0.88, 0.96, 0.98, 1.04, 1.09, 1.12, 1.10, 1.02, 0.98, 0.94, 1.02])
SITES = {  # ED sites (ODS codes) by district
    "E08000035": ["RR801", "RR813"],
    "E08000032": ["RAE01"],
    "E08000033": ["RWY01"],
    "E08000034": ["RWY02", "RXF10"],
    "E08000036": ["RXF05"],
}
OUT_OF_AREA_LSOAS = np.array(
    [f"E0100{n}" for n in range(7400, 7460)] + [f"E0101{n}" for n in range(1000, 1040)]
)
ETH = np.array(["white", "asian", "black", "mixed", "other", "not_stated"])

# The force extract's outcome as its crime system writes it (HO outcome number and words; blank
# when none is recorded), with shares for violence, weapons possession and homicide (shaped on
# the Home Office's crime outcomes tables: most violence ends in evidential difficulties, about
# one in fifteen in a charge; possession offences are charged far more often).
POLICE_OUTCOMES = (
    ("1 Charge/summons", 0.07, 0.36, 0.55),
    ("2 Youth caution", 0.004, 0.03, 0.0),
    ("3 Adult caution", 0.012, 0.06, 0.0),
    ("4 Taken into consideration", 0.001, 0.002, 0.0),
    ("6 Penalty notice for disorder", 0.002, 0.0, 0.0),
    ("8 Community resolution", 0.03, 0.05, 0.0),
    ("10 Formal action not in the public interest", 0.005, 0.01, 0.0),
    ("14 Evidential difficulties: suspect not identified, victim does not support", 0.1, 0.01, 0.0),
    ("15 Evidential difficulties: suspect identified, victim supports", 0.13, 0.18, 0.05),
    ("16 Evidential difficulties: victim does not support", 0.31, 0.01, 0.0),
    ("18 Investigation complete: no suspect identified", 0.12, 0.1, 0.05),
    ("20 Further action by another body or agency", 0.01, 0.01, 0.0),
    ("21 Further investigation not in the public interest", 0.01, 0.01, 0.0),
    ("22 Diversionary, educational or intervention activity", 0.005, 0.03, 0.0),
    ("Under investigation", 0.18, 0.11, 0.35),
    ("", 0.01, 0.01, 0.0),
)
YOUTH_DISPOSALS = (
    ("Youth caution", 0.2),
    ("Youth conditional caution", 0.1),
    ("Community resolution", 0.08),
    ("Referral order", 0.32),
    ("Reparation order", 0.03),
    ("Youth rehabilitation order", 0.17),
    ("Detention and training order", 0.05),
    ("Fine", 0.05),
)


def _outcome_weights(code: str) -> list[float]:
    column = 3 if code in ("1", "4/1", "2") else 2 if code in ("10A", "10C", "10D") else 1
    return [row[column] for row in POLICE_OUTCOMES]


def months(first_year: int, years: int) -> pd.DatetimeIndex:
    return pd.date_range(f"{first_year}-01-01", periods=12 * years, freq="MS")


def _hour_weekday_weights() -> np.ndarray:
    """7x24 weights (Mon..Sun x hour): evening peaks, Friday and Saturday nights strongest."""
    hours = np.arange(24)
    diurnal = 0.25 + 0.75 * np.exp(-0.5 * ((hours - 21.5) / 4.0) ** 2)
    diurnal[:4] += np.array([0.75, 0.6, 0.45, 0.25])
    w = np.tile(diurnal, (7, 1))
    w[4, 20:] *= 1.7  # Friday late evening
    w[5, :4] *= 2.4  # early Saturday (Friday night out)
    w[5, 20:] *= 2.0
    w[6, :4] *= 2.6  # early Sunday (Saturday night out)
    w[6, 12:18] *= 1.1
    return w / w.sum()


def _month_volume(month_index: pd.DatetimeIndex) -> np.ndarray:
    """Seasonality, a gentle upward trend and the 2021 lockdown dip."""
    m = month_index.month.to_numpy() - 1
    t = np.arange(len(month_index)) / 12.0
    vol = MONTH_SEASON[m] * (1 + 0.025 * t)
    lockdown = (month_index.year == 2021) & (month_index.month <= 3)
    vol[lockdown] *= 0.75
    return vol / vol.mean()


def _place_weights(areas: Areas) -> tuple[np.ndarray, np.ndarray]:
    lsoa_frame = areas.lsoas
    dep = lsoa_frame["deprivation_score"].to_numpy()
    dep01 = (dep - dep.min()) / (dep.max() - dep.min())
    resident = lsoa_frame["population"].to_numpy() * (1 + 2.2 * dep01)  # ~3x most vs least deprived
    nte = lsoa_frame["nte_weight"].to_numpy()
    return resident / resident.sum(), nte / nte.sum()


def _ethnicity(rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
    base = np.array([0.74, 0.13, 0.03, 0.03, 0.01, 0.06])
    brad = np.array([0.56, 0.31, 0.02, 0.03, 0.01, 0.07])
    p = np.where((district == "E08000032")[:, None], brad, base)
    u = rng.random(len(district))[:, None]
    return ETH[(u > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 5)]


def _choice_by(
    rng: np.random.Generator, n: int, labels: list[str], probs: list[float]
) -> np.ndarray:
    p = np.array(probs, dtype=float)
    return np.array(labels)[rng.choice(len(labels), size=n, p=p / p.sum())]


def police_events(
    areas: Areas, rng: np.random.Generator, month_index: pd.DatetimeIndex
) -> pd.DataFrame:
    """The force's recorded violent, sexual, robbery and weapons crimes, one row per crime."""
    resident_w, nte_w = _place_weights(areas)
    hw = _hour_weekday_weights().ravel()
    vol = _month_volume(month_index)
    lsoa = areas.lsoas["lsoa_code"].to_numpy()
    district_of = areas.lsoas["district_code"].to_numpy()
    frames = []
    for code, desc, per_year, knife, gun, da, female in OFFENCES:
        per_month = rng.poisson(per_year / 12 * vol)
        n = int(per_month.sum())
        month_start = np.repeat(month_index.to_numpy(), per_month)
        dom = rng.random(n) < da
        nte_share = 0.0 if code.startswith(("10", "19", "17")) else 0.22
        at_nte = (~dom) & (rng.random(n) < nte_share)
        where = np.where(
            at_nte, rng.choice(len(lsoa), n, p=nte_w), rng.choice(len(lsoa), n, p=resident_w)
        )
        # Day of month, then hour and weekday pattern by rejection-free reweighting.
        slot = rng.choice(168, size=n, p=hw)
        weekday, hour = slot // 24, slot % 24
        days_in = pd.DatetimeIndex(month_start).days_in_month.to_numpy()
        first_wd = pd.DatetimeIndex(month_start).day_of_week.to_numpy()
        first_match = (weekday - first_wd) % 7
        n_weeks = (days_in - 1 - first_match) // 7 + 1
        day = first_match + 7 * rng.integers(0, np.maximum(n_weeks, 1))
        offence_dt = (
            month_start
            + (day * 24 + hour).astype("timedelta64[h]")
            + rng.integers(0, 60, n).astype("timedelta64[m]")
        )
        delay = rng.geometric(0.55, n) - 1
        late = rng.random(n) < 0.04
        delay[late] += rng.integers(5, 60, int(late.sum()))
        recorded = offence_dt.astype("datetime64[D]") + delay.astype("timedelta64[D]")
        weapon = np.full(n, "none", dtype=object)
        u = rng.random(n)
        weapon[u < knife] = "knife_sharp"
        weapon[(u >= knife) & (u < knife + gun)] = "firearm"
        other = (u >= knife + gun) & (u < knife + gun + 0.06)
        weapon[other] = _choice_by(
            rng, int(other.sum()), ["blunt", "other", "corrosive"], [0.7, 0.28, 0.02]
        )
        weapon[(weapon == "none") & (rng.random(n) < 0.15)] = "unknown"
        loc = np.where(
            dom,
            "dwelling",
            np.where(
                at_nte,
                _choice_by(
                    rng, n, ["street", "licensed_premises", "transport"], [0.55, 0.38, 0.07]
                ),
                _choice_by(
                    rng,
                    n,
                    [
                        "street",
                        "dwelling",
                        "retail",
                        "open_space",
                        "education",
                        "transport",
                        "other",
                    ],
                    [0.40, 0.30, 0.08, 0.08, 0.04, 0.04, 0.06],
                ),
            ),
        )
        vfemale = rng.random(n) < np.where(dom, 0.78, female)
        vmode = np.where(dom, 31, np.where(code.startswith("34"), 19, 24))
        vage = np.clip(np.round(rng.gamma(4.0, vmode / 3.0)), 0, 95).astype(int)
        sage = np.clip(np.round(rng.gamma(5.5, np.where(dom, 6.5, 4.6))), 10, 90).astype(int)
        eth = _ethnicity(rng, district_of[where])
        frames.append(
            pd.DataFrame(
                {
                    "ho_offence_code": code,
                    "offence_description": desc,
                    "offence_dt": offence_dt,
                    "recorded_date": recorded,
                    "lsoa_code": lsoa[where],
                    "location_type": loc,
                    "weapon": weapon,
                    "domestic_abuse": np.where(dom, "Y", "N"),
                    "victim_age": vage,
                    "suspect_age": sage,
                    "victim_sex": np.where(vfemale, "F", "M"),
                    "suspect_sex": np.where(rng.random(n) < 0.86, "M", "F"),
                    "victim_ethnicity": eth,
                    "suspect_ethnicity": np.where(
                        rng.random(n) < 0.85, eth, _ethnicity(rng, district_of[where])
                    ),
                    "outcome": _choice_by(
                        rng, n, [o for o, *_ in POLICE_OUTCOMES], _outcome_weights(code)
                    ),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df = df[df["recorded_date"] < month_index[-1] + pd.offsets.MonthBegin(1)]
    df = df.sort_values(["recorded_date", "offence_dt"], kind="stable").reset_index(drop=True)
    seq = pd.Series(np.arange(len(df))).astype(str).str.zfill(7)
    df.insert(
        0, "crime_ref", "13" + (df["recorded_date"].dt.year % 100).astype(str).str.zfill(2) + seq
    )
    return df


def health_attendances(
    areas: Areas, rng: np.random.Generator, police: pd.DataFrame, month_index: pd.DatetimeIndex
) -> pd.DataFrame:
    """A&E assault attendances: ~40% also in police records, ~60% unknown to police."""
    injured = police[police["ho_offence_code"].isin(["5D", "8N", "8P", "2", "34B"])]
    known = injured.sample(frac=0.12, random_state=int(rng.integers(1 << 31)))
    n_unknown = int(len(known) * 1.5)
    resident_w, nte_w = _place_weights(areas)
    lsoa = areas.lsoas["lsoa_code"].to_numpy()
    district_of = dict(zip(areas.lsoas["lsoa_code"], areas.lsoas["district_code"], strict=True))
    hw = _hour_weekday_weights().ravel()
    vol = _month_volume(month_index)
    per_month = rng.multinomial(n_unknown, vol / vol.sum())
    month_start = np.repeat(month_index.to_numpy(), per_month)
    slot = rng.choice(168, size=n_unknown, p=hw)
    days = np.minimum(rng.integers(0, 28, n_unknown) // 7 * 7 + slot // 24, 27)
    assault = (
        month_start
        + (days * 24 + slot % 24).astype("timedelta64[h]")
        + rng.integers(0, 60, n_unknown).astype("timedelta64[m]")
    )
    at_nte = rng.random(n_unknown) < 0.35
    where = np.where(
        at_nte,
        rng.choice(len(lsoa), n_unknown, p=nte_w),
        rng.choice(len(lsoa), n_unknown, p=resident_w),
    )
    unknown = pd.DataFrame(
        {
            "assault_dt": assault,
            "lsoa": lsoa[where],
            "weapon": _choice_by(
                rng,
                n_unknown,
                ["body_part", "blunt", "knife_sharp", "glass_bottle", "other", "unknown"],
                [0.56, 0.1, 0.07, 0.08, 0.09, 0.10],
            ),
            "loc": np.where(
                at_nte,
                _choice_by(rng, n_unknown, ["street", "licensed_premises"], [0.6, 0.4]),
                _choice_by(
                    rng, n_unknown, ["street", "dwelling", "other", "unknown"], [0.4, 0.3, 0.1, 0.2]
                ),
            ),
            "sex": np.where(rng.random(n_unknown) < 0.72, "M", "F"),
            "age": np.clip(np.round(rng.gamma(4.5, 6.0, n_unknown)), 1, 95).astype(int),
        }
    )
    k = pd.DataFrame(
        {
            "assault_dt": known["offence_dt"].to_numpy(),
            "lsoa": known["lsoa_code"].to_numpy(),
            "weapon": np.where(
                known["weapon"].eq("knife_sharp"),
                "knife_sharp",
                np.where(known["weapon"].eq("blunt"), "blunt", "body_part"),
            ),
            "loc": known["location_type"].to_numpy(),
            "sex": known["victim_sex"].to_numpy(),
            "age": known["victim_age"].to_numpy(),
        }
    )
    df = pd.concat([k, unknown], ignore_index=True)
    n = len(df)
    df["arrival_dt"] = df["assault_dt"] + (rng.gamma(1.5, 50, n)).astype("timedelta64[m]")
    dom = (df["loc"] == "dwelling").to_numpy()
    df["relationship"] = np.where(
        dom,
        _choice_by(rng, n, ["partner_ex", "family", "acquaintance"], [0.55, 0.3, 0.15]),
        _choice_by(
            rng, n, ["stranger", "acquaintance", "other", "unknown"], [0.5, 0.25, 0.05, 0.2]
        ),
    )
    df["site"] = [
        SITES[district_of[c]][i % len(SITES[district_of[c]])] for i, c in enumerate(df["lsoa"])
    ]
    df["lsoa"] = np.where(rng.random(n) < 0.22, "", df["lsoa"])  # ED often can't place the assault
    df["admitted"] = np.where(
        rng.random(n) < np.where(df["weapon"].isin(["knife_sharp", "firearm"]), 0.45, 0.12),
        "Y",
        "N",
    )
    df = df[df["arrival_dt"] < month_index[-1] + pd.offsets.MonthBegin(1)]
    df = df.sort_values("arrival_dt", kind="stable").reset_index(drop=True)
    df.insert(0, "ref", [f"ED{i:08d}" for i in range(len(df))])
    return df


def probation_caseload(
    areas: Areas, rng: np.random.Generator, month_index: pd.DatetimeIndex
) -> pd.DataFrame:
    """People under supervision, as monthly snapshots of one evolving cohort."""
    resident_w, _ = _place_weights(areas)
    lsoa = areas.lsoas["lsoa_code"].to_numpy()
    district = areas.lsoas["district_code"].to_numpy()
    n_people = 9000
    start = month_index[0] - pd.DateOffset(months=24)
    span_days = (month_index[-1] - start).days
    starts = start + pd.to_timedelta(rng.integers(0, span_days, n_people), unit="D")
    length = pd.to_timedelta(rng.integers(180, 900, n_people), unit="D")
    where = rng.choice(len(lsoa), n_people, p=resident_w)
    people = pd.DataFrame(
        {
            "person_ref": [f"P{i:07d}" for i in range(n_people)],
            "case_start_date": starts,
            "case_end": starts + length,
            "age0": np.clip(np.round(rng.gamma(6.0, 5.4, n_people)), 18, 80).astype(int),
            "sex": np.where(rng.random(n_people) < 0.89, "M", "F"),
            "ethnicity": _ethnicity(rng, district[where]),
            "index_offence_group": _choice_by(
                rng,
                n_people,
                [
                    "violence_with_injury",
                    "violence_without_injury",
                    "robbery",
                    "weapons_possession",
                    "sexual",
                    "homicide",
                    "other",
                ],
                [0.22, 0.14, 0.05, 0.05, 0.08, 0.01, 0.45],
            ),
            "rosh_level": _choice_by(
                rng, n_people, ["low", "medium", "high", "very_high"], [0.25, 0.5, 0.22, 0.03]
            ),
            "supervision_type": _choice_by(
                rng,
                n_people,
                ["community_order", "suspended_sentence", "licence"],
                [0.4, 0.25, 0.35],
            ),
            "home_lsoa_code": lsoa[where],
        }
    )
    snaps = []
    for m in month_index:
        snap = m + pd.offsets.MonthEnd(0)
        on = people[(people["case_start_date"] <= snap) & (people["case_end"] > snap)].copy()
        on["snapshot_date"] = snap
        on["age"] = on["age0"] + ((snap - on["case_start_date"]).dt.days // 365)
        snaps.append(on)
    return pd.concat(snaps, ignore_index=True)


def youth_justice_offences(
    areas: Areas, rng: np.random.Generator, month_index: pd.DatetimeIndex
) -> pd.DataFrame:
    resident_w, _ = _place_weights(areas)
    lsoa = areas.lsoas["lsoa_code"].to_numpy()
    district = areas.lsoas["district_code"].to_numpy()
    n_people = 2600
    pw = rng.choice(len(lsoa), n_people, p=resident_w)
    per_person = rng.geometric(0.55, n_people)
    person = np.repeat(np.arange(n_people), per_person)
    n = len(person)
    days = rng.integers(0, len(month_index) * 30, n)
    date = month_index[0] + pd.to_timedelta(days, unit="D")
    order = np.lexsort((days, person))
    first = np.r_[True, person[order][1:] != person[order][:-1]]
    fte = np.empty(n, dtype=bool)
    fte[order] = first
    df = pd.DataFrame(
        {
            "person_ref": [f"Y{p:06d}" for p in person],
            "offence_date": date,
            "age": rng.integers(10, 18, n),
            "sex": np.where(rng.random(n) < 0.84, "M", "F"),
            "ethnicity": _ethnicity(rng, district[pw][person]),
            "offence_group": _choice_by(
                rng,
                n,
                [
                    "violence_with_injury",
                    "violence_without_injury",
                    "robbery",
                    "weapons_possession",
                    "sexual",
                    "other",
                ],
                [0.22, 0.2, 0.08, 0.1, 0.03, 0.37],
            ),
            "first_time_entrant": np.where(fte, "Y", "N"),
            "disposal": _choice_by(
                rng, n, [d for d, _ in YOUTH_DISPOSALS], [w for _, w in YOUTH_DISPOSALS]
            ),
            "home_lsoa_code": lsoa[pw][person],
        }
    )
    df = df[df["offence_date"] <= month_index[-1] + pd.offsets.MonthEnd(0)]
    return df.sort_values("offence_date", kind="stable").reset_index(drop=True)
