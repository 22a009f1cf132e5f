"""Figure functions are pure: frames in, figures out, with titles, alt text and no small counts."""

from __future__ import annotations

import contextlib
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.analysis.hotspots import getis_ord
from dashboard.analysis.stats import correlate
from dashboard.figures import Context, alt_text
from dashboard.figures.bars import breakdown_figure, grouped_bars_figure, rate_bars_figure
from dashboard.figures.coverage import coverage_figure
from dashboard.figures.heatmap import hour_weekday_figure
from dashboard.figures.maps import choropleth_figure, hotspot_figure
from dashboard.figures.pyramid import pyramid_figure
from dashboard.figures.scatter import factor_scatter_figure
from dashboard.figures.trend import seasonality_figure, trend_figure
from svcore.disclosure import SUPPRESSED, Rule, protect, suppress_rates

CTX = Context("A title", "2024-01 to 2024-12", "Home Office", "Police recorded crime", "A note")


def visible_numbers(fig: go.Figure) -> list[float]:
    """Every number a reader could see: plotted values, text labels and hover text."""
    out: list[float] = []
    for trace in fig.data:
        for attr in ("x", "y", "z"):
            values = getattr(trace, attr, None)
            if values is None:
                continue
            flat = np.asarray(values, dtype=object).ravel()
            out += [
                abs(float(v))
                for v in flat
                if isinstance(v, (int, float, np.number))
                and not (isinstance(v, float) and math.isnan(v))
            ]
        for attr in ("text", "customdata"):
            values = getattr(trace, attr, None)
            if values is None:
                continue
            for v in np.asarray(values, dtype=object).ravel():
                for token in str(v).replace(",", "").replace("(", " ").split():
                    with contextlib.suppress(ValueError):
                        out.append(float(token))
    return out


def assert_titled(fig: go.Figure) -> None:
    assert "A title" in fig.layout.title.text and "2024-01 to 2024-12" in fig.layout.title.text
    source = " ".join(a.text for a in fig.layout.annotations)
    assert "Police recorded crime" in source
    assert alt_text(fig).startswith("A title")


def test_trend_hides_suppressed_months_and_adds_rolling_average() -> None:
    months = pd.period_range("2022-01", periods=30, freq="M").strftime("%Y-%m")
    frame = pd.DataFrame({"month": months, "count": [100 + i for i in range(30)]})
    frame.loc[3, "count"] = 2
    fig = trend_figure(protect(frame, Rule(5)), CTX)
    assert_titled(fig)
    assert len(fig.data) == 2  # the line and its 12-month rolling average
    assert 2.0 not in visible_numbers(fig)
    assert math.isnan(fig.data[0].y[3])


def test_seasonality_averages_calendar_months() -> None:
    frame = pd.DataFrame({"month": ["2023-01", "2024-01", "2023-07"], "count": [10, 20, 40]})
    fig = seasonality_figure(frame, CTX)
    assert list(fig.data[0].x) == ["Jan", "Jul"] and list(fig.data[0].y) == [15.0, 40.0]


def test_heatmap_grid() -> None:
    frame = pd.DataFrame(
        {"weekday": ["Friday", "Saturday", "Monday"], "hour": [22, 2, 3], "count": [30, 10, 3]}
    )
    fig = hour_weekday_figure(protect(frame, Rule(5)), CTX)
    assert_titled(fig)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (7, 24) and z[4, 22] == 30
    assert np.isnan(z[0, 3]) and fig.data[0].text[0][3] == SUPPRESSED
    assert "Friday 22:00" in alt_text(fig)


def test_breakdown_shows_c_and_no_share_of_small_totals() -> None:
    frame = protect(
        pd.DataFrame({"weapon": ["knife_sharp", "firearm", "none"], "count": [40, 3, 60]}), Rule(5)
    )
    fig = breakdown_figure(frame, "weapon", CTX)
    assert_titled(fig)
    assert list(fig.data[0].y)[-1] == "No weapon"  # largest at the top
    assert SUPPRESSED in list(fig.data[0].text)
    assert not {1.0, 2.0, 3.0, 4.0} & set(visible_numbers(fig))
    assert "Knife or sharp instrument" in list(fig.data[0].y)


def test_grouped_and_rate_bars() -> None:
    frame = pd.DataFrame(
        {
            "area": ["A", "B", "A", "B"],
            "source": ["police", "police", "health", "health"],
            "count": [10, 20, SUPPRESSED, 30],
        }
    )
    fig = grouped_bars_figure(frame, "area", "source", CTX)
    assert [t.name for t in fig.data] == [
        "Police recorded crime (force extract)",
        "A&E assault attendances",
    ]
    rates = pd.DataFrame({"decile": range(1, 11), "rate": [float(20 - i) for i in range(10)]})
    fig = rate_bars_figure(rates, "decile", CTX, "Decile")
    assert list(fig.data[0].x)[0] == "1" and "Decile 1: 20.0" in alt_text(fig)


def test_pyramid_mirrors_males_and_labels_ticks_positive() -> None:
    frame = pd.DataFrame(
        {
            "sex": ["M", "F", "M", "unknown"],
            "age_band": ["18-24", "18-24", "25-34", "18-24"],
            "count": [50, 40, 2, 7],
        }
    )
    fig = pyramid_figure(protect(frame, Rule(5)), CTX)
    male, female = fig.data
    assert (
        male.x[list(male.y).index("18-24")] == -50 and female.x[list(female.y).index("18-24")] == 40
    )
    assert all(not t.startswith("-") for t in fig.layout.xaxis.ticktext)
    assert "other or unknown sex" in alt_text(fig)
    assert 2.0 not in visible_numbers(fig)


def _squares(n: int) -> dict:
    feats = []
    for i in range(n):
        x, y = i % 10, i // 10
        ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
        feats.append(
            {
                "type": "Feature",
                "id": f"E0100{i:04d}",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def test_choropleth_greys_hidden_areas_and_ships_only_drawn_features() -> None:
    frame = pd.DataFrame(
        {
            "area_code": ["E01000000", "E01000001", "E01000002", "E01000003"],
            "area_name": ["A", "B", "C", "D"],
            "count": [50, 3, 0, 60],
            "rate": [5.0, 0.3, 0.0, 6.0],
        }
    )
    shown = suppress_rates(protect(frame, Rule(5)), Rule(5))
    fig = choropleth_figure(shown, _squares(100), CTX, "rate")
    assert_titled(fig)
    grey, main = fig.data
    # 3 is hidden, 50 with it (secondary), and 0 events give no rate.
    assert set(grey.locations) == {"E01000000", "E01000001", "E01000002"}
    assert list(main.locations) == ["E01000003"]
    assert len(main.geojson["features"]) == 4  # not the 100 it was given
    assert "[c]" in " ".join(grey.text) and " 3" not in " ".join(grey.text)
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    json.dumps(fig.to_plotly_json(), default=str)


def test_hotspots_find_a_planted_cluster() -> None:
    rng = np.random.default_rng(1)
    n = 100
    xs, ys = np.arange(n) % 10, np.arange(n) // 10
    rate = rng.normal(10, 1, n)
    cluster = (xs < 3) & (ys < 3)
    rate[cluster] += 15
    frame = pd.DataFrame(
        {
            "area_code": [f"E0100{i:04d}" for i in range(n)],
            "area_name": [f"A{i}" for i in range(n)],
            "lon": xs * 0.01,
            "lat": 53 + ys * 0.01,
            "rate": rate,
        }
    )
    out = getis_ord(frame, permutations=99)
    hot = set(out.loc[out["hotspot"].str.startswith("Hot"), "area_code"])
    assert {f"E0100{i:04d}" for i in np.where(cluster)[0]} & hot
    assert not hot & {f"E0100{i:04d}" for i in np.where((xs > 6) & (ys > 6))[0]}
    again = getis_ord(frame, permutations=99)
    assert out["gi_p"].tolist() == again["gi_p"].tolist()  # seeded: screen and report agree
    fig = hotspot_figure(out, _squares(n), CTX)
    assert any(t.name.startswith("Hot spot") for t in fig.data)


def test_correlation_interval_and_scatter() -> None:
    x = np.arange(50, dtype=float)
    y = 2 * x + np.random.default_rng(0).normal(0, 5, 50)
    c = correlate(x, y)
    assert c.r_low < c.r < c.r_high and c.slope == pytest.approx(2, abs=0.2) and c.n == 50
    assert correlate([1, 2], [3, 4]).n == 2 and "Too few" in correlate([1, 2], [3, 4]).describe()
    frame = pd.DataFrame({"area_name": [f"A{i}" for i in range(50)], "factor": x, "rate": y})
    fig = factor_scatter_figure(frame, c, CTX, "IMD", "Rate")
    assert fig.data[1].name == "Fitted line" and "Pearson r" in alt_text(fig)


def test_coverage_marks_missing_months() -> None:
    frame = pd.DataFrame(
        {
            "feed": ["police", "police", "health"],
            "month": ["2024-01", "2024-03", "2024-01"],
            "rows": [100, 120, 3],
        }
    )
    fig = coverage_figure(protect(frame, Rule(5), column="rows"), CTX)
    assert "feed-months have no data" in alt_text(fig)
    assert fig.data[0].text[0][1] == "missing"
