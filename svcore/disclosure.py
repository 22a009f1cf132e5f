"""Statistical disclosure control: the one place counts are made safe before anyone sees them.

Three methods, chosen per role (``[disclosure.tiers]`` in ``svdash.toml``):

``exact``
    True counts; counts from 1 up to the threshold (5 by default, 8 for health) are shown as
    ``[c]``. Secondary suppression protects **every margin** of a table (each row, each column
    and the grand total, which is the headline beside a breakdown): in each margin, while the
    hidden cells add up to less than the threshold, the next smallest cell is hidden too, so no
    hidden cell is the difference of a published total and the shown cells. For analysts, who
    may see any cell anyway.
``ons_10_5``
    As ``exact`` with counts under 10 hidden and the rest rounded to the nearest 5.
``cell_key``
    Cell-key perturbation, the method ONS used for Census 2021 outputs and ABS uses in
    TableBuilder. Every record carries a *record key* (0-255) derived from its pseudonymised
    reference; a cell's key is the sum of its records' keys modulo 256, so the same set of
    records always has the same key whatever query, session or export produced it. A published
    table (:func:`perturbation_table`) turns (count, cell key) into an adjustment of -3 to +3,
    added to every non-zero count; counts whose true or perturbed value is under the threshold
    are shown as ``[c]``. Zero stays zero. Nothing needs secondary suppression: the difference
    of two published values (Jan-Oct minus Jan-Sep) is the hidden cell *plus the difference of
    two independent adjustments*, which is zero only about 16% of the time, so two routes to the
    same hidden cell agree on the truth for about 1 cell in 40. Averaging many routes would
    beat it, so the views layer lets these tiers ask only for one area and fixed periods
    (``dashboard.charts.request.restrict``). The adjustment has mean 0 (no
    bias) and variance 740/256 = 2.89 (standard deviation 1.70) for every count at or above the
    threshold, and never exceeds ``MAX_ADJUSTMENT`` in size.

Rates, shares, changes and every other derived statistic are computed by the views layer *from
the published counts*, never from the true ones: a statistic of published values publishes
nothing new. No rate or percentage rests on fewer than ``min_events_for_rate`` events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"
METHODS = ("exact", "ons_10_5", "cell_key")
# Who sees what by default: analysts see true counts; everyone else, and anything published,
# sees perturbed ones (differencing-resistant). ``publication`` is the report pack's tier.
TIER_NAMES = ("admin", "analyst", "duty_holder", "viewer", "publication")
DEFAULT_TIERS: dict[str, str] = {
    "admin": "exact",
    "analyst": "exact",
    "duty_holder": "cell_key",
    "viewer": "cell_key",
    "publication": "cell_key",
}

# The cell-key perturbation table's design (see the module docstring).
KEY_SPACE = 256
ADJUSTMENTS = (-3, -2, -1, 0, 1, 2, 3)
KEYS_PER_ADJUSTMENT = (20, 36, 46, 52, 46, 36, 20)  # of the 256 cell keys; symmetric: mean 0
MAX_ADJUSTMENT = max(abs(a) for a in ADJUSTMENTS)
TABLE_ROWS = 512  # one row per count 0..511; larger counts reuse rows 256..511 (count mod 256)
TABLE_VERSION = "svdash-ckey-v1"

# SQL for a record's key: 12 hex digits of its pseudonymised reference (an HMAC, so unknown to
# anyone without the partnership's secret). A record without a reference gets a key from its
# content, so it is still the same every time. Counts of records sum the last two of those
# digits (0-255: cheap, and the same modulo 256); counts of distinct people sum all twelve
# (48 bits), so that DISTINCT removes a person seen twice, not two people who share a byte.
_REF_SQL = (
    "coalesce({alias}.record_key, {alias}.person_key, md5(concat_ws('|', {alias}.source, "
    "{alias}.partner, {alias}.event_date, {alias}.hour, {alias}.lsoa_code, {alias}.age, "
    "{alias}.sex, {alias}.ho_offence_code, {alias}.crime_type)))"
)


def record_key_sql(alias: str = "e", wide: bool = False, ref: str | None = None) -> str:
    """``ref``: an explicit reference expression (default: the events view's columns)."""
    ref = ref or _REF_SQL.format(alias=alias)
    if wide:
        return f"CAST(('0x' || substr({ref}, 1, 12)) AS BIGINT)"
    return f"CAST(('0x' || substr({ref}, 11, 2)) AS INTEGER)"


def cell_key_sql(
    alias: str = "e", people: bool = False, where: str = "", ref: str | None = None
) -> str:
    """SQL aggregate for a cell's key (0-255); ``people`` counts each person once; ``where``
    makes it a filtered aggregate (one pass over several cells)."""
    inner = (
        f"sum(DISTINCT {record_key_sql(alias, True, ref)})"
        if people
        else (f"sum({record_key_sql(alias, False, ref)})")
    )
    if where:
        inner += f" FILTER (WHERE {where})"
    return f"CAST(coalesce({inner}, 0) % {KEY_SPACE} AS INTEGER)"


@lru_cache(maxsize=1)
def perturbation_table() -> np.ndarray:
    """The published perturbation table: ``table[row, cell_key]`` is the adjustment.

    Each row holds every adjustment in ``ADJUSTMENTS`` on exactly ``KEYS_PER_ADJUSTMENT`` keys;
    which keys get which adjustment is shuffled per row by SHA-256 of ``TABLE_VERSION``, the
    row and the key, so a count and the count one larger are perturbed independently. The
    table is reproducible from this code alone (no secret: the record keys are the secret).
    """
    spread = np.repeat(np.array(ADJUSTMENTS, dtype=np.int8), KEYS_PER_ADJUSTMENT)
    table = np.empty((TABLE_ROWS, KEY_SPACE), dtype=np.int8)
    for row in range(TABLE_ROWS):
        order = sorted(
            range(KEY_SPACE),
            key=lambda k, r=row: hashlib.sha256(f"{TABLE_VERSION}:{r}:{k}".encode()).digest(),
        )
        table[row, order] = spread
    table[0, :] = 0  # an empty cell is a true zero
    return table


def table_row(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    half = TABLE_ROWS // 2
    return np.where(counts < TABLE_ROWS, counts, half + counts % half)


def perturb(counts: Sequence[int] | np.ndarray, keys: Sequence[int] | np.ndarray) -> np.ndarray:
    """True counts and cell keys -> perturbed counts (never negative; zero stays zero)."""
    c = np.asarray(counts, dtype=np.int64)
    k = np.asarray(keys, dtype=np.int64) % KEY_SPACE
    adj = perturbation_table()[table_row(c), k].astype(np.int64)
    return np.where(c > 0, np.maximum(c + adj, 0), 0)


@dataclass(frozen=True)
class Rule:
    threshold: int = 5  # counts 1..threshold-1 are hidden
    min_events_for_rate: int = 10  # no rate or percentage on fewer events
    method: str = "exact"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"disclosure method must be one of {', '.join(METHODS)}")

    @property
    def round_to(self) -> int:
        return 5 if self.method == "ons_10_5" else 0

    def note(self) -> str:
        """The one wording of the rule, shown under every chart and table that used it."""
        rate = f"no rate or percentage on fewer than {self.min_events_for_rate} events."
        if self.method == "ons_10_5":
            return (
                f"Counts under {self.threshold} are shown as {SUPPRESSED} and the rest are "
                "rounded to the nearest 5 (ONS 10-5 rule), with further cells hidden where "
                f"they could reveal them, so totals may not add up; {rate}"
            )
        if self.method == "cell_key":
            return (
                f"Counts are perturbed (cell-key method: each differs from the true count by "
                f"at most {MAX_ADJUSTMENT}, the same way every time it is shown) and counts "
                f"under {self.threshold} are shown as {SUPPRESSED}, so totals may not add "
                f"up; {rate}"
            )
        return (
            f"Counts from 1 to {self.threshold - 1} are shown as {SUPPRESSED} "
            "(confidential), with further cells hidden where they could reveal them; "
            f"{rate}"
        )


def tier_for(settings: object, role: str) -> str:
    """The disclosure method for a role (or ``publication``), from the settings' tiers.

    The legacy ``rounding = "ons_10_5"`` setting turns every exact tier into ONS 10-5.
    """
    tiers: Mapping[str, str] = getattr(settings, "tiers", None) or DEFAULT_TIERS
    method = tiers.get(role, DEFAULT_TIERS.get(role, "cell_key"))
    if method == "exact" and getattr(settings, "rounding", "none") == "ons_10_5":
        return "ons_10_5"
    return method


STRICTNESS = {"exact": 0, "ons_10_5": 1, "cell_key": 2}


def stricter(a: str, b: str) -> str:
    """The more protective of two methods (a duty holder's pack: theirs or publication's)."""
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


def rule_for(settings: object, source: str | None, method: str = "exact") -> Rule:
    """The rule for a source (the strictest threshold when sources are mixed) and a method."""
    base = int(getattr(settings, "suppress_below", 5))
    by_source: dict[str, int] = dict(getattr(settings, "suppress_below_by_source", {}) or {})
    min_rate = int(getattr(settings, "min_events_for_rate", 10))
    threshold = (
        max([base, *by_source.values()])
        if source is None
        else max(base, by_source.get(source, base))
    )
    if method == "exact" and getattr(settings, "rounding", "none") == "ons_10_5":
        method = "ons_10_5"
    if method == "ons_10_5":
        threshold = max(threshold, 10)
    return Rule(threshold, min_rate, method)


def _margins(frame: pd.DataFrame, dims: Sequence[str]) -> list[np.ndarray]:
    """Row-index groups whose sums are (or can be) published: every row and column of the
    table (cells sharing all dimensions but one) and the grand total."""
    groups = [np.arange(len(frame))]
    if len(dims) >= 2:
        for d in dims:
            others = [x for x in dims if x != d]
            by = frame[others].astype("string").fillna("\x00")
            groups += [np.asarray(ix) for ix in by.groupby(others, sort=False).indices.values()]
    return groups


def _secondary(
    counts: np.ndarray, hidden: np.ndarray, groups: list[np.ndarray], threshold: int
) -> np.ndarray:
    """Greedy per-margin secondary suppression: in every margin, hide the next smallest
    non-zero cell while the hidden cells add up to less than the threshold."""
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for ix in groups:
            h = hidden[ix]
            if not h.any():
                continue
            while counts[ix][h].sum() < threshold:
                candidates = ix[(~h) & (counts[ix] > 0)]
                if not len(candidates):
                    break
                pick = candidates[np.argsort(counts[candidates], kind="stable")[0]]
                hidden[pick] = True
                h = hidden[ix]
                changed = True
    return hidden


def protect(
    frame: pd.DataFrame,
    rule: Rule,
    column: str = "count",
    dims: Sequence[str] = (),
    key: str = "ckey",
) -> pd.DataFrame:
    """A copy with ``column`` made safe to publish by ``rule``, and the cell-key column dropped.

    ``dims`` are the table's dimension columns (for per-margin secondary suppression); a
    frame without cell keys under ``cell_key`` (metadata such as rows loaded per feed) is
    published by the ONS 10-5 rule instead.
    """
    counts = _int_counts(frame[column])
    if rule.method == "cell_key" and key not in frame:
        rule = Rule(max(rule.threshold, 10), rule.min_events_for_rate, "ons_10_5")
    hidden = (counts > 0) & (counts < rule.threshold)
    if rule.method == "cell_key":
        shown = perturb(counts, _int_counts(frame[key]))
        hidden |= (shown > 0) & (shown < rule.threshold)
    else:
        if hidden.any():
            hidden = _secondary(counts, hidden, _margins(frame, list(dims)), rule.threshold)
        shown = counts
        if rule.round_to:
            shown = (counts + rule.round_to // 2) // rule.round_to * rule.round_to
    values = shown.astype(object)  # Python ints, and the marker where hidden
    values[hidden] = SUPPRESSED
    # A copy, the cell key deleted in place (``drop`` costs more than the rest of this on a
    # headline's one-row frame, and views publish dozens of those a request).
    out = frame.copy()
    if key in out:
        del out[key]
    out[column] = pd.Series(values, index=out.index, dtype="object")
    return out


def _int_counts(column: pd.Series) -> np.ndarray:
    """A count (or cell-key) column as int64, blanks and non-numbers as 0; a plain int64
    column as it is, without ``to_numeric``'s pass."""
    if column.dtype == np.int64:
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").fillna(0).astype("int64").to_numpy()


def published(frame: pd.DataFrame, column: str = "count") -> pd.Series:
    """Numeric published counts with hidden cells as NaN: what a chart may draw and what every
    derived statistic is computed from."""
    col = frame[column]
    if col.dtype == object:  # protect's output, Python ints and the marker: without pandas
        values = col.to_numpy().copy()
        values[values == SUPPRESSED] = np.nan
        try:
            return pd.Series(values.astype("float64"), index=col.index, name=col.name)
        except (TypeError, ValueError):
            pass  # anything else in the column: coerced below
    return pd.to_numeric(col.where(col != SUPPRESSED), errors="coerce")


shown_counts = published  # the figures' name for it


def published_rate(
    frame: pd.DataFrame,
    rule: Rule,
    denominator: str,
    per: float = 1000.0,
    column: str = "count",
    out: str = "rate",
) -> pd.DataFrame:
    """A copy with ``out`` = published count / denominator * per, blank where the count is
    hidden or below the rate minimum (the denominator, e.g. person-years, is not a count)."""
    res = frame.copy()
    n = published(res, column).to_numpy()
    den = res[denominator]
    den = (
        den.to_numpy("float64", na_value=np.nan)
        if pd.api.types.is_numeric_dtype(den)
        else pd.to_numeric(den, errors="coerce").to_numpy("float64", na_value=np.nan)
    )
    ok = (n >= rule.min_events_for_rate) & (den > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        res[out] = np.where(ok, n / den * per, np.nan)
    return res


def published_share(part: float | None, whole: float | None, rule: Rule) -> float | None:
    """A share of two published counts, or None when either is hidden or too small."""
    if part is None or whole is None or not np.isfinite(part) or not np.isfinite(whole):
        return None
    if whole < rule.min_events_for_rate or whole <= 0:
        return None
    return float(part) / float(whole)


def published_value(frame: pd.DataFrame, column: str = "count") -> int | str:
    """The single published value of a one-row table (a headline): an int, or ``[c]``."""
    if frame.empty:
        return 0
    value = frame[column].iloc[0]
    return value if value == SUPPRESSED else int(value)


def suppress_counts(frame: pd.DataFrame, rule: Rule, column: str = "count") -> pd.DataFrame:
    """``protect`` over one margin (the whole table): the plain-pandas baseline app in
    ``bench/`` publishes this way, so both apps in a benchmark do the same work."""
    return protect(frame, rule, column=column)


def suppress_rates(
    frame: pd.DataFrame,
    rule: Rule,
    rate_columns: tuple[str, ...] = ("rate",),
    count_column: str = "count",
) -> pd.DataFrame:
    """Blank rates whose published count is hidden or under the rate minimum (the bench
    baseline's way; the catalogue computes rates from published counts instead)."""
    out = frame.copy()
    unsafe = ~(published(out, count_column) >= rule.min_events_for_rate)
    for col in rate_columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64").mask(unsafe)
    return out
