"""Figure functions are pure: frames in, figure dicts out, with titles, alt text and no small
counts; every figure is valid plotly."""

from __future__ import annotations

import contextlib
import json
import math

import numpy as np
import orjson
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.analysis.hotspots import CLASSES, getis_ord
from dashboard.analysis.stats import correlate
from dashboard.figures import (
    NOTE_SIZE,
    SUP_SIZE,
    TEXT_WIDTH,
    TITLE_SIZE,
    Context,
    alt_text,
    source_note_of,
    text_width,
)
from dashboard.figures.bars import breakdown_figure, grouped_bars_figure, rate_bars_figure
from dashboard.figures.coverage import coverage_figure
from dashboard.figures.heatmap import hour_weekday_figure
from dashboard.figures.maps import bounds_of, choropleth_figure, hotspot_figure
from dashboard.figures.pyramid import pyramid_figure
from dashboard.figures.scatter import factor_scatter_figure
from dashboard.figures.trend import seasonality_figure, trend_figure
from svcore.disclosure import SUPPRESSED, Rule, protect, suppress_rates

CTX = Context("A title", "2024-01 to 2024-12", "Home Office", "Police recorded crime", "A note")


def visible_numbers(fig: dict) -> list[float]:
    """Every number a reader could see: plotted values, text labels and hover text."""
    out: list[float] = []
    for trace in fig["data"]:
        for attr in ("x", "y", "z"):
            values = trace.get(attr)
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
            values = trace.get(attr)
            if values is None:
                continue
            for v in np.asarray(values, dtype=object).ravel():
                for token in str(v).replace(",", "").replace("(", " ").split():
                    with contextlib.suppress(ValueError):
                        out.append(float(token))
    return out


def assert_valid(fig: dict) -> None:
    """A plain dict, and valid plotly: ``go.Figure`` validates every property of the dict the
    figure functions build directly; orjson encodes it as Dash will."""
    assert isinstance(fig, dict) and not isinstance(fig, go.Figure)
    go.Figure(fig)
    orjson.dumps(fig, option=orjson.OPT_SERIALIZE_NUMPY)


def assert_titled(fig: dict) -> None:
    """Title, period, source note and text alternative, and valid plotly."""
    title = fig["layout"]["title"]["text"]
    assert "A title" in title and "2024-01 to 2024-12" in title
    assert "Police recorded crime" in source_note_of(fig)
    assert alt_text(fig).startswith("A title")
    assert_valid(fig)


def test_trend_hides_suppressed_months_and_adds_rolling_average() -> None:
    months = pd.period_range("2022-01", periods=30, freq="M").strftime("%Y-%m")
    frame = pd.DataFrame({"month": months, "count": [100 + i for i in range(30)]})
    frame.loc[3, "count"] = 2
    fig = trend_figure(protect(frame, Rule(5)), CTX)
    assert_titled(fig)
    assert len(fig["data"]) == 2  # the line and its 12-month rolling average
    assert 2.0 not in visible_numbers(fig)
    assert math.isnan(fig["data"][0]["y"][3])


def test_seasonality_averages_calendar_months() -> None:
    frame = pd.DataFrame({"month": ["2023-01", "2024-01", "2023-07"], "count": [10, 20, 40]})
    fig = seasonality_figure(frame, CTX)
    assert_titled(fig)
    assert fig["data"][0]["x"] == ["Jan", "Jul"] and fig["data"][0]["y"] == [15.0, 40.0]


def test_heatmap_grid() -> None:
    frame = pd.DataFrame(
        {"weekday": ["Friday", "Saturday", "Monday"], "hour": [22, 2, 3], "count": [30, 10, 3]}
    )
    fig = hour_weekday_figure(protect(frame, Rule(5)), CTX)
    assert_titled(fig)
    z = np.asarray(fig["data"][0]["z"], dtype=float)
    assert z.shape == (7, 24) and z[4, 22] == 30
    assert np.isnan(z[0, 3]) and fig["data"][0]["text"][0][3] == SUPPRESSED
    assert "Friday 22:00" in alt_text(fig)


def test_breakdown_shows_c_and_no_share_of_small_totals() -> None:
    frame = protect(
        pd.DataFrame({"weapon": ["knife_sharp", "firearm", "none"], "count": [40, 3, 60]}), Rule(5)
    )
    fig = breakdown_figure(frame, "weapon", CTX)
    assert_titled(fig)
    assert fig["data"][0]["y"][-1] == "No weapon"  # largest at the top
    assert SUPPRESSED in fig["data"][0]["text"]
    assert not {1.0, 2.0, 3.0, 4.0} & set(visible_numbers(fig))
    assert "Knife or sharp instrument" in fig["data"][0]["y"]


def test_grouped_and_rate_bars() -> None:
    frame = pd.DataFrame(
        {
            "area": ["A", "B", "A", "B"],
            "source": ["police", "police", "health", "health"],
            "count": [10, 20, SUPPRESSED, 30],
        }
    )
    fig = grouped_bars_figure(frame, "area", "source", CTX)
    assert_titled(fig)
    assert [t["name"] for t in fig["data"]] == [
        "Police recorded crime (force extract)",
        "A&E assault attendances",
    ]
    rates = pd.DataFrame({"decile": range(1, 11), "rate": [float(20 - i) for i in range(10)]})
    fig = rate_bars_figure(rates, "decile", CTX, "Decile")
    assert_titled(fig)
    assert fig["data"][0]["x"][0] == "1" and "Decile 1: 20.0" in alt_text(fig)


def test_pyramid_mirrors_males_and_labels_ticks_positive() -> None:
    frame = pd.DataFrame(
        {
            "sex": ["M", "F", "M", "unknown"],
            "age_band": ["18-24", "18-24", "25-34", "18-24"],
            "count": [50, 40, 2, 7],
        }
    )
    fig = pyramid_figure(protect(frame, Rule(5)), CTX)
    assert_titled(fig)
    male, female = fig["data"]
    assert male["x"][male["y"].index("18-24")] == -50
    assert female["x"][female["y"].index("18-24")] == 40
    assert all(not t.startswith("-") for t in fig["layout"]["xaxis"]["ticktext"])
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
    grey, main = fig["data"]
    # 3 is hidden, 50 with it (secondary), and 0 events give no rate.
    assert set(grey["locations"]) == {"E01000000", "E01000001", "E01000002"}
    assert main["locations"] == ["E01000003"]
    assert len(main["geojson"]["features"]) == 4  # not the 100 it was given
    assert "[c]" in " ".join(grey["text"]) and " 3" not in " ".join(grey["text"])
    geo = fig["layout"]["geo"]
    assert geo["visible"] is False and geo["fitbounds"] == "locations"
    assert fig["layout"]["autosize"] is True and "height" not in fig["layout"]
    json.dumps(fig, default=str)


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
    # The default reads p from the z-score's normal tail (as GIS hot spot tools do): the same
    # z-scores, and the cluster is found the same way.
    normal = getis_ord(frame)
    assert normal["gi_z"].tolist() == out["gi_z"].tolist()
    assert {f"E0100{i:04d}" for i in np.where(cluster)[0]} & set(
        normal.loc[normal["hotspot"].str.startswith("Hot"), "area_code"]
    )
    strong = normal["gi_z"].abs() > 3.5
    assert strong.any()
    # With 99 permutations p cannot fall below 0.02: compare the side and significance.
    assert (normal.loc[strong, "hotspot"].str[:3] == out.loc[strong, "hotspot"].str[:3]).all()
    assert (normal.loc[strong, "gi_p"] < 0.05).all() and (out.loc[strong, "gi_p"] < 0.05).all()
    fig = hotspot_figure(out, _squares(n), CTX)
    assert_titled(fig)
    assert any(t["name"].startswith("Hot spot") for t in fig["data"])


def test_correlation_interval_and_scatter() -> None:
    x = np.arange(50, dtype=float)
    y = 2 * x + np.random.default_rng(0).normal(0, 5, 50)
    c = correlate(x, y)
    assert c.r_low < c.r < c.r_high and c.slope == pytest.approx(2, abs=0.2) and c.n == 50
    assert correlate([1, 2], [3, 4]).n == 2 and "Too few" in correlate([1, 2], [3, 4]).describe()
    frame = pd.DataFrame({"area_name": [f"A{i}" for i in range(50)], "factor": x, "rate": y})
    fig = factor_scatter_figure(frame, c, CTX, "IMD", "Rate")
    assert_titled(fig)
    assert fig["data"][1]["name"] == "Fitted line" and "Pearson r" in alt_text(fig)


def test_coverage_marks_missing_months() -> None:
    frame = pd.DataFrame(
        {
            "feed": ["police", "police", "health"],
            "month": ["2024-01", "2024-03", "2024-01"],
            "rows": [100, 120, 3],
        }
    )
    fig = coverage_figure(protect(frame, Rule(5), column="rows"), CTX)
    assert_titled(fig)
    assert "feed-months have no data" in alt_text(fig)
    assert fig["data"][0]["text"][0][1] == "missing"


LONG = Context(
    "A&E assault attendances and police-recorded violence with injury, by ward, with a title "
    "long enough to need three lines",
    "2024-01 to 2024-12; Leeds; all sources",
    "Home Office Serious Violence Strategy (default)",
    "Police recorded crime (force extract)",
    "A&E: all assault attendances; police: violence with injury. Counts from 1 to 7 are shown "
    "as [c] (confidential), with further cells hidden where they could reveal them; no rate or "
    "percentage on fewer than 10 events.",
)


def _lines(text: str) -> list[str]:
    return text.split("<br>")


def test_titles_and_notes_wrap_to_the_narrowest_card_and_margins_follow() -> None:
    short = trend_figure(pd.DataFrame({"month": ["2024-01"], "count": [40]}), CTX)
    long = trend_figure(pd.DataFrame({"month": ["2024-01"], "count": [40]}), LONG)
    assert_valid(long)
    title = long["layout"]["title"]["text"]
    for line in _lines(title):
        size = SUP_SIZE if line.startswith("<sup>") else TITLE_SIZE
        assert text_width(line, size) <= TEXT_WIDTH
    assert len(_lines(title)) > len(_lines(short["layout"]["title"]["text"]))
    assert all(line.startswith("<sup>") for line in _lines(title)[-2:])  # the subtitle wraps too
    note = next(a for a in long["layout"]["annotations"] if a["name"] == "source note")
    assert len(_lines(note["text"])) >= 2
    assert all(text_width(line, NOTE_SIZE) <= TEXT_WIDTH for line in _lines(note["text"]))
    # More lines, more margin: the top holds the title, the bottom the axis labels and note.
    lines_t = len(_lines(title)) - len(_lines(short["layout"]["title"]["text"]))
    assert long["layout"]["margin"]["t"] >= short["layout"]["margin"]["t"] + lines_t * 26
    assert long["layout"]["margin"]["b"] >= -note["yshift"] + len(_lines(note["text"])) * 14
    assert "height" not in long["layout"] and "width" not in long["layout"]


def test_long_category_names_are_turned_and_the_note_sits_below_them() -> None:
    names = [f"A ward with a long name number {i:02d} (synthetic)" for i in range(30)]
    frame = pd.DataFrame(
        {
            "area": names * 2,
            "source": ["police"] * 30 + ["health"] * 30,
            "count": list(range(10, 40)) * 2,
        }
    )
    fig = grouped_bars_figure(frame, "area", "source", LONG)
    assert_valid(fig)
    axis = fig["layout"]["xaxis"]
    assert axis["automargin"] and axis["tickangle"] in (-45, -90)
    assert axis["tickvals"] == names  # positions keep the full names (hover, no merging)
    assert all(len(t) <= 24 for t in axis["ticktext"])
    widest = max(text_width(t, axis["tickfont"]["size"]) for t in axis["ticktext"])
    note = next(a for a in fig["layout"]["annotations"] if a["name"] == "source note")
    assert -note["yshift"] >= widest  # the labels hang down at most their length
    assert fig["layout"]["margin"]["b"] > -note["yshift"]
    few = frame[frame["area"].isin(names[:2])].replace({names[0]: "Leeds", names[1]: "York"})
    assert grouped_bars_figure(few, "area", "source", CTX)["layout"]["xaxis"]["tickangle"] == 0


def test_breakdown_margins_fit_long_labels_and_the_values_outside_bars() -> None:
    frame = pd.DataFrame(
        {
            "location_type": ["a very long location type name that needs wrapping", "x"],
            "count": [123456, 20],
        }
    )
    fig = breakdown_figure(frame, "location_type", CTX)
    assert_titled(fig)
    layout = fig["layout"]
    wrapped = layout["yaxis"]["ticktext"]
    assert any("<br>" in t for t in wrapped) and layout["yaxis"]["automargin"]
    assert layout["margin"]["l"] >= max(
        text_width(line, 14) for t in wrapped for line in t.split("<br>")
    )
    assert layout["margin"]["r"] >= text_width("123,456 (100%)", 14)
    assert fig["data"][0]["cliponaxis"] is False and fig["data"][0]["textposition"] == "outside"


def test_ward_maps_draw_district_outlines_and_names_that_do_not_hover() -> None:
    frame = pd.DataFrame(
        {
            "area_code": [f"E0100{i:04d}" for i in range(4)],
            "area_name": list("ABCD"),
            "count": [50, 60, 70, 80],
            "rate": [5.0, 6.0, 7.0, 8.0],
        }
    )
    districts = pd.DataFrame(
        {"area_code": ["E01000099"], "area_name": ["Leeds"], "lon": [0.5], "lat": [0.5]}
    )
    geo = _squares(100)
    fig = choropleth_figure(frame, geo, CTX, districts=districts, district_geojson=geo)
    assert_titled(fig)
    outline, names = fig["data"][-2:]
    assert outline["type"] == "choropleth" and outline["locations"] == ["E01000099"]
    assert outline["colorscale"][0][1] == "rgba(0,0,0,0)" and outline["marker"]["line"]["width"] > 1
    assert names["type"] == "scattergeo" and names["mode"] == "text" and names["text"] == ["Leeds"]
    for layer in (outline, names):
        assert layer["hoverinfo"] == "skip" and layer["showlegend"] is False
        assert "customdata" not in layer  # a click on them drills nowhere
    assert fig["layout"]["geo"]["fitbounds"] == "locations"
    # A pinned view (a ward's LSOAs): the outline as lines, no names outside the view.
    pinned = choropleth_figure(
        frame, geo, CTX, districts=districts, district_geojson=geo, bounds=(2, 0, 4, 1)
    )
    assert_titled(pinned)
    assert pinned["data"][-1]["type"] == "scattergeo" and pinned["data"][-1]["mode"] == "lines"
    assert pinned["layout"]["geo"]["fitbounds"] is False
    assert pinned["layout"]["geo"]["lonaxis"]["range"][0] < 2
    hot = hotspot_figure(
        frame.assign(hotspot=CLASSES[0], gi_z=3.0, gi_p=0.001),
        geo,
        CTX,
        districts=districts,
        district_geojson=geo,
    )
    assert_titled(hot)
    assert [t["name"] for t in hot["data"][-2:]] == ["District boundaries", "District names"]
    assert bounds_of(_squares(3)) == (0.0, 0.0, 3.0, 1.0)
