"""Key findings, written from the numbers: sentences a report author would write, from views.

Each finding is read off a view the pack also shows (its published data, after disclosure), so
it says nothing the figures and tables do not, is the same on every run, and names its view:
the pack prints the figure or table it comes from beside it and lists the view in the
manifest. A finding whose numbers are hidden, too few or missing is left out, never guessed:
no sentence the numbers do not support. Plain English in the GOV.UK style: numbers as
numerals, percentages with %, no "significant" without saying what it means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.charts.catalogue import Chart
from svcore.disclosure import SUPPRESSED
from svcore.vocab import label


@dataclass(frozen=True)
class Finding:
    section: str  # the key of the section it opens (and the executive summary)
    text: str
    view: str  # the catalogue view it is read from


def _n(value: object) -> float | None:
    if value is None or value == SUPPRESSED:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _pct(share: float, places: int = 0) -> str:
    return f"{share * 100:.{places}f}%"


def _lower(name: str) -> str:
    """A name mid-sentence: "premises licensed ..." but "IMD 2019 ..." kept."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _rows(view: Chart | None) -> list[dict]:
    return [] if view is None or view.data.empty else view.data.to_dict("records")


def headline(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """The police count and its change on the year before, with the exact test's verdict."""
    out = []
    for r in _rows(views.get("overview-headline")):
        now, before = _n(r.get("count")), _n(r.get("before"))
        if r.get("source") != "police" or now is None:
            continue
        text = f"The police recorded {_count(now)} serious violence offences in {year}"
        if _n(r.get("rate")) is not None:
            text += f" ({r['rate']:,.1f} per 1,000 residents)"
        change = _n(r.get("change"))
        if change is not None and before is not None:
            way, _, verdict = str(r["change_words"]).partition(", ")
            text += f", {way} on {year - 1} ({_count(before)}): {verdict}"
        out.append(Finding("overview", text + ".", "overview-headline"))
    return out


def sources(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """Partners other than the police whose count changed by more than chance."""
    out = []
    for r in _rows(views.get("overview-year-on-year")):
        verdict = str(r.get("More than chance?", ""))
        now, before = _n(r.get("This period")), _n(r.get("A year earlier"))
        if "police" in str(r["Source"]).lower() or now is None or not before:
            continue
        if verdict.startswith("more than chance"):
            way = "rose" if now > before else "fell"
            out.append(
                Finding(
                    "sources",
                    f"{r['Source']} {way} by {_pct(abs(now / before - 1))}, from "
                    f"{_count(before)} in {year - 1} to {_count(now)} in {year}: more than "
                    "chance alone would give.",
                    "overview-year-on-year",
                )
            )
    return out


def district_change(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """The district with the largest change that is more than chance, and how many rose."""
    rows = [r for r in _rows(views.get("where-district-change")) if _n(r["change"]) is not None]
    if len(rows) < 2:
        return []
    real = [r for r in rows if str(r["words"]).split(", ")[-1].startswith("more than chance")]
    rose = sum(1 for r in real if r["change"] > 0)
    fell = sum(1 for r in real if r["change"] < 0)
    if not real:
        return [
            Finding(
                "where",
                f"No district's count changed between {year - 1} and {year} by more than "
                "chance alone would give.",
                "where-district-change",
            )
        ]
    top = max(real, key=lambda r: abs(r["change"]))
    way = "rise" if top["change"] > 0 else "fall"
    text = (
        f"The largest {way} was in {top['area_name']}, {_pct(abs(top['change']))} "
        f"({_count(top['before'])} to {_count(top['now'])}); "
    )
    if rose == len(rows) or fell == len(rows):
        text += f"all {len(rows)} districts {'rose' if rose else 'fell'} by more than chance."
    else:
        moved = [f"{n} {word}" for n, word in ((rose, "rose"), (fell, "fell")) if n]
        text += (
            f"of the {len(rows)} districts, {' and '.join(moved)} by more than chance alone "
            "would give."
        )
    return [Finding("where", text, "where-district-change")]


def hotspots(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """How many LSOAs are hot spots, the strongest, and how many are hot year after year."""
    out = []
    hot = [r for r in _rows(views.get("where-hotspots")) if str(r["hotspot"]).startswith("Hot")]
    if hot:
        strongest = max(hot, key=lambda r: r["gi_z"])
        out.append(
            Finding(
                "where",
                f"{len(hot)} LSOAs were hot spots of violence in {year} (Getis-Ord Gi*, 95% "
                f"confidence or more); the strongest was {strongest['area_name']}.",
                "where-hotspots",
            )
        )
    persistent = _rows(views.get("where-persistent-table"))
    if persistent:
        tested = int(max(r["years_tested"] for r in persistent))
        every = [r for r in persistent if r["years_hot"] == tested]
        if tested > 1 and every:
            out.append(
                Finding(
                    "where",
                    f"{len(every)} LSOAs were hot spots in each of the {tested} years tested, "
                    "the places where violence is most entrenched.",
                    "where-persistent-table",
                )
            )
        elif tested == 1:
            out.append(
                Finding(
                    "where",
                    "One year of data is held, so no LSOA can yet be shown to be a hot spot "
                    "year after year.",
                    "where-persistent-table",
                )
            )
    return out


def night_time(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    rows = _rows(views.get("when-nte"))
    share = _n(rows[0]["nte_share"]) if rows else None
    if share is None:
        return []
    ratio = share / (16 / 168)
    return [
        Finding(
            "when",
            f"{_pct(share)} of violence with a recorded time happened on Friday and Saturday "
            f"nights (20:00 to 03:59), {ratio:.1f} times that window's share of the week.",
            "when-nte",
        )
    ]


def offences(
    views: Mapping[str, Chart], year: int, groups: Mapping[str, str] | None = None, **_: object
) -> list[Finding]:
    """The largest offence group of the definition, and weapon-enabled violence. Groups
    overlap (domestic-abuse related violence is also violence with injury), so no shares."""
    rows = [r for r in _rows(views.get("how-offence-group")) if _n(r.get("count")) is not None]
    if not rows:
        return []
    top = max(rows, key=lambda r: r["count"])
    names = {r["offence_group"]: r for r in rows}
    text = (
        f"The largest offence group was {_lower((groups or {}).get(top['offence_group'], top['offence_group']))}"
        f" ({_count(top['count'])} offences in {year})"
    )
    knife = names.get("knife_sharp")
    if knife is not None and knife is not top:
        text += f"; {_count(knife['count'])} offences involved a knife or sharp instrument"
    return [
        Finding(
            "how",
            text + ". Groups overlap, so they do not add up to the total.",
            "how-offence-group",
        )
    ]


def relative_risk(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """The ethnic group of victims and of suspects at the highest relative risk, where the
    interval excludes 1; and the age band and sex with the highest victim rate."""
    out = []
    for who, name in (("victims", "who-rri-victims-table"), ("suspects", "who-rri-suspects-table")):
        rows = [r for r in _rows(views.get(name)) if r.get("flag") == "higher"]
        if not rows:
            continue
        top = max(rows, key=lambda r: r["rri"])
        ref = next((r["label"] for r in _rows(views.get(name)) if r["flag"] == "reference"), "")
        out.append(
            Finding(
                "outcomes" if who == "suspects" else "who",
                f"{top['label']} residents were {top['rri']:.2f} times as likely as {ref} "
                f"residents to be recorded as {who[:-1]}s (95% interval {top['rri_low']:.2f} "
                f"to {top['rri_high']:.2f}).",
                name,
            )
        )
    rates = [
        r
        for r in _rows(views.get("who-rates-age-sex"))
        if r["who"] == "victims" and _n(r["rate"]) is not None
    ]
    if rates:
        top = max(rates, key=lambda r: r["rate"])
        sex = {"F": "women and girls", "M": "men and boys"}.get(top["sex"], "people")
        out.append(
            Finding(
                "who",
                f"The victim rate was highest among {sex} aged {top['age_band']}: "
                f"{top['rate']:.1f} per 1,000 residents.",
                "who-rates-age-sex",
            )
        )
    return out


def outcomes(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    out = []
    groups = {r["outcome_group"]: r for r in _rows(views.get("outcomes-groups"))}
    charged = groups.get("charged")
    if charged and _n(charged.get("share")) is not None:
        out.append(
            Finding(
                "outcomes",
                f"{_pct(charged['share'], 1)} of offences ended in a charge or summons (95% "
                f"interval {_pct(charged['ci_low'], 1)} to {_pct(charged['ci_high'], 1)}).",
                "outcomes-groups",
            )
        )
    oocd = views.get("outcomes-oocd-share")
    if oocd is not None and oocd.text and "%" in oocd.text:
        out.append(Finding("outcomes", oocd.text, "outcomes-oocd-share"))
    return out


def hidden(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    """The A&E gap: A&E assault attendances per 100 police violence-with-injury records, in
    all and in the district where it is widest, from published counts only."""
    rows = _rows(views.get("where-gap"))
    health = [_n(r["health"]) for r in rows]
    police = [_n(r["police"]) for r in rows]
    if not rows or None in health or None in police or not sum(police):
        return []
    per_100 = sum(health) / sum(police) * 100
    text = (
        f"A&E recorded {per_100:.0f} assault attendances for every 100 police-recorded "
        "offences of violence with injury: violence that reaches hospital is not all "
        "reported to the police."
    )
    ranked = [r for r in rows if _n(r.get("per_100")) is not None]
    if len(ranked) > 1:
        top = max(ranked, key=lambda r: r["per_100"])
        text = text[:-1] + f". The figure was highest in {top['area_name']} ({top['per_100']:.0f})."
    return [Finding("hidden", text, "where-gap")]


def factors(views: Mapping[str, Chart], year: int, **_context: object) -> list[Finding]:
    out = []
    ranked = _rows(views.get("factors-ranked"))
    if ranked:
        top = min(ranked, key=lambda r: r["rank"])
        level = label("level", top["level"]) if top["level"] in ("lsoa", "ward") else top["level"]
        out.append(
            Finding(
                "factors",
                f"Of the area factors, {_lower(str(top['factor']).split(' (')[0])} went most "
                "clearly with "
                f"the violence rate (Pearson r {top['r']:.2f}, 95% interval {top['low']:.2f} to "
                f"{top['high']:.2f}, across {top['n']:,} {level}s); this describes areas, not "
                "individuals.",
                "factors-ranked",
            )
        )
    risk = _rows(views.get("factors-risk-index-table"))
    both = [r for r in risk if str(r.get("quadrant", "")).startswith("High risk, high")]
    if risk:
        text = f"The area with the highest risk index was {risk[0]['area_name']}"
        if both:
            text += f"; {len(both)} of the {len(risk)} areas listed have both high risk and high violence"
        out.append(Finding("factors", text + ".", "factors-risk-index-table"))
    return out


READERS = (headline, sources, district_change, hotspots, night_time, offences, relative_risk)
READERS += (outcomes,)
READERS += (hidden, factors)


def findings(
    views: Mapping[str, Chart], year: int, groups: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every finding the views support, in the order of the pack's sections; ``groups``
    names the definition's offence groups (key to label)."""
    out: list[Finding] = []
    for read in READERS:
        out += read(views, year, groups=groups)
    return out


def frame(items: list[Finding], refs: Mapping[str, str]) -> pd.DataFrame:
    """The findings as the workbook and manifest list them: text, view, where in the pack."""
    return pd.DataFrame(
        [
            {
                "Finding": i,
                "Section": f.section,
                "Text": f.text,
                "View": f.view,
                "In the pack": refs.get(f.view, ""),
            }
            for i, f in enumerate(items, start=1)
        ]
    )
