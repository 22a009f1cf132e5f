"""Pure figure functions: a tidy frame and its context in, a plotly figure as plain data out.

No I/O here. Each function returns a plain ``{"data": [...], "layout": {...}}`` dictionary in
plotly's JSON schema, built directly: ``go.Figure`` validates and deep-copies every property
(about 5 ms for a simple bar, most of a callback's time once query results are cached), and a
dict is what Dash sends to the browser anyway (encoded by orjson). ``tests/figures`` checks
that every chart is valid plotly (``go.Figure(fig)``), so the speed costs no correctness.

Every chart carries its title with period and definition, the source note, the accessible
palette and its text alternative (``layout.meta.alt``). Plotly does not wrap text, so titles
and notes are wrapped here by estimated width (Arial metrics), and the margins are computed
from the number of lines, so nothing is cut off or drawn over the axis labels in a card
560 to 900 px wide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from svcore.palette import CATEGORICAL, TEXT

Figure = dict[str, Any]  # {"data": [trace dicts], "layout": {...}}: plotly's figure schema


@dataclass(frozen=True)
class Context:
    title: str
    period: str
    definition: str
    source_line: str
    note: str = ""


# Sizes in px. The layout font is 14 px; plotly draws the title at 1.4 times that (20 px), axis
# titles at 1.2 times (17 px) and a <sup> at 70% of its line's size; every line of text takes
# 1.3 times its font size.
FONT_SIZE = 14
TITLE_SIZE = 20
AXIS_TITLE_SIZE = 17  # plotly's "big font": 1.2 times the layout's
SUP_SIZE = 14
NOTE_SIZE = 11
LINE = 1.3
# The narrowest card a chart sits in is about 560 px: titles and notes wrap to fit in that,
# less a little for the card's padding and for the width estimates being estimates.
TEXT_WIDTH = 520
# The plot area's width in that narrowest card (left and right margins taken off): what
# category labels along the x axis have to share.
PLOT_WIDTH = 440
TITLE_PAD = 10  # from the top of the figure to the top of the title's capitals
# Plotly places a title of several lines by its first line's baseline (its "top" anchor's
# shift is lost on multi-line text), so the pad reaches down to that baseline.
TITLE_BASELINE = TITLE_PAD + 0.75 * TITLE_SIZE
LEGEND_ROW = 26  # a row of the horizontal legend above the plot area
NOTE_GAP = 10  # between whatever sits under the plot area and the source note

# The parts of plotly's default template ("plotly") that these charts use, so a chart looks the
# same on screen (where no template is applied to a dict) as in an image export (where
# ``go.Figure`` would otherwise apply the default): white grids hidden on white, no tick marks,
# automargins, borderless colour bars.
_AXIS = {
    "gridcolor": "white",
    "linecolor": "white",
    "ticks": "",
    "title": {"standoff": 15},
    "zerolinecolor": "white",
    "automargin": True,
    "zerolinewidth": 2,
}
_COLORBAR = {"outlinewidth": 0, "ticks": ""}
TEMPLATE: dict[str, Any] = {
    "layout": {
        "autotypenumbers": "strict",
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "coloraxis": {"colorbar": _COLORBAR},
        "annotationdefaults": {"arrowcolor": "#2a3f5f", "arrowhead": 0, "arrowwidth": 1},
        "geo": {
            "bgcolor": "white",
            "landcolor": "#E5ECF6",
            "subunitcolor": "white",
            "showland": True,
            "showlakes": True,
            "lakecolor": "white",
        },
    },
    "data": {
        "bar": [{"type": "bar", "marker": {"line": {"color": "#E5ECF6", "width": 0.5}}}],
        "heatmap": [{"type": "heatmap", "colorbar": _COLORBAR}],
        "choropleth": [{"type": "choropleth", "colorbar": _COLORBAR}],
    },
}

# Helvetica/Arial advance widths (1/1000 em) of printable ASCII, from the Adobe AFM metrics;
# Arial and Liberation Sans share them. Anything else counts as a digit's width.
_ASCII_WIDTHS = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
_WIDTHS = {chr(32 + i): int(w) for i, w in enumerate(_ASCII_WIDTHS.split())}
_WIDTHS.update({"·": 278, "’": 222, "‘": 222, "“": 333, "”": 333, "—": 1000, "…": 1000})
_TAG = re.compile(r"<[^>]+>")


# Rendered text came out up to 3% wider than the metrics say (hinting, kerning off): allow 5%.
_SLACK = 1.05


def text_width(text: str, size: float) -> float:
    """Estimated width in px of one line of ``text`` (tags ignored) at font ``size``."""
    plain = _TAG.sub("", text).replace("&amp;", "&")
    return sum(_WIDTHS.get(ch, 556) for ch in plain) * size / 1000 * _SLACK


def wrap(text: str, width: float = TEXT_WIDTH, size: float = NOTE_SIZE) -> list[str]:
    """Break ``text`` into lines by word so each fits ``width`` px at ``size`` (plotly does
    not wrap text: a long title or note would run off the edge of the chart and be cut)."""
    lines: list[str] = []
    space = text_width(" ", size)
    for part in text.split("<br>"):
        line, used = "", 0.0
        # Widths add up word by word, unless a tag (which may hold spaces) is in the text.
        tagged = "<" in part
        for word in part.split():
            candidate = f"{line} {word}" if line else word
            wide = text_width(candidate, size) if tagged else used + space + text_width(word, size)
            if line and wide > width:
                lines.append(line)
                line, used = word, text_width(word, size)
            else:
                line, used = candidate, (wide if line else text_width(word, size))
        lines.append(line)
    return lines


def set_alt(fig: Figure, text: str) -> Figure:
    """The chart's text alternative, carried in the figure so screen and exports share it."""
    layout = fig.setdefault("layout", {})
    meta = layout.get("meta")
    layout["meta"] = {**(meta if isinstance(meta, dict) else {}), "alt": text}
    return fig


def alt_text(fig: Figure) -> str:
    meta = fig.get("layout", {}).get("meta")
    return str(meta.get("alt", "")) if isinstance(meta, dict) else ""


def title_of(fig: Figure) -> str:
    """The chart's title as one line, without the period and definition under it."""
    text = fig.get("layout", {}).get("title", {}).get("text") or ""
    return text.split("<br><sup>")[0].replace("<br>", " ")


def source_note_of(fig: Figure) -> str:
    """The source and suppression note under the chart, as one line."""
    notes = fig.get("layout", {}).get("annotations", [])
    return " ".join(a["text"].replace("<br>", " ") for a in notes if a.get("name") == "source note")


def figure(data: list[dict] | None = None) -> Figure:
    """A figure dict with its traces; ``base_layout`` gives it its look."""
    return {"data": list(data or []), "layout": {}}


def empty_figure(ctx: Context, message: str) -> Figure:
    """A titled chart that says why it has nothing to draw (no data, or all suppressed)."""
    fig = figure()
    base_layout(fig, ctx, below=NOTE_GAP)
    layout = fig["layout"]
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"].append(
        {
            "text": "<br>".join(wrap(message, TEXT_WIDTH - 40, 16)),
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 16},
        }
    )
    return set_alt(fig, f"{ctx.title}: {message}")


def axis_below(tick_lines: int = 1, title_lines: int = 0, tick_px: float | None = None) -> float:
    """Height in px of what sits under the plot area: tick labels (``tick_lines`` lines of
    14 px text, or ``tick_px`` when turned) and the axis title (15 px standoff, its lines)."""
    ticks = tick_px if tick_px is not None else tick_lines * FONT_SIZE * LINE
    title = 15 + title_lines * AXIS_TITLE_SIZE * LINE if title_lines else 0
    return 6 + ticks + title + NOTE_GAP


# Months along an x axis: the month over its year, level (plotly would turn the labels when
# they crowd, into the note's room), and the month and year on hover.
MONTH_AXIS = {"type": "date", "tickformat": "%b<br>%Y", "hoverformat": "%b %Y", "tickangle": 0}


def axis_title(text: str, width: float = PLOT_WIDTH) -> tuple[dict, int]:
    """An x axis title wrapped to the plot's width, and its number of lines."""
    lines = wrap(text, width, AXIS_TITLE_SIZE)
    return {"text": "<br>".join(lines)}, len(lines)


def legend_names(fig: Figure) -> list[str]:
    """Names of the traces plotly would list in the legend (lines and bars unless told not
    to; anything told to)."""
    shown = [
        t.get("name", "")
        for t in fig["data"]
        if t.get("showlegend", t.get("type") in ("scatter", "scattergl", "bar"))
    ]
    explicit = any(t.get("showlegend") is True for t in fig["data"])
    return shown if len(shown) >= 2 or explicit else []


def legend_rows(names: list[str], width: float = PLOT_WIDTH) -> int:
    """Rows a horizontal legend of ``names`` takes in ``width`` px (symbol and gap ~50 px)."""
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        item = text_width(name, FONT_SIZE) + 50
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def base_layout(
    fig: Figure,
    ctx: Context,
    y_title: str = "",
    below: float | None = None,
    header: str = "",
    legend: str = "top",
    margin: dict | None = None,
    headroom: float = 0,
) -> Figure:
    """The common look: wrapped title and subtitle, the source note under the plot, the
    palette, and margins computed from the number of lines so nothing is cut off.

    ``below``: px under the plot area taken by tick labels and the axis title (the note goes
    under them; see ``axis_below``). ``header``: a line of text between the title and the
    plot (e.g. a correlation). ``legend``: "top" (horizontal, above the plot, counted in the
    top margin) or "right" (vertical, beside the plot: plotly pushes the right margin itself).
    ``headroom``: px more above the plot, for values written over the tallest bar.
    """
    below = axis_below() if below is None else below
    title_lines = wrap(ctx.title, TEXT_WIDTH, TITLE_SIZE)
    sub_lines = wrap(f"{ctx.period} · {ctx.definition}", TEXT_WIDTH, SUP_SIZE)
    title_text = "<br>".join(title_lines + [f"<sup>{s}</sup>" for s in sub_lines])
    title_px = (len(title_lines) + len(sub_lines)) * TITLE_SIZE * LINE
    note = f"Source: {ctx.source_line}" + (f". {ctx.note}" if ctx.note else "")
    note_lines = wrap(note, TEXT_WIDTH, NOTE_SIZE)
    header_lines = wrap(header, TEXT_WIDTH, 12) if header else []
    names = legend_names(fig)
    legend_px = legend_rows(names) * LEGEND_ROW if legend == "top" else 0
    header_px = len(header_lines) * 12 * LINE + (4 if header_lines else 0)
    margins = {"l": 60, "r": 20, **(margin or {})}
    margins["t"] = round(TITLE_PAD + title_px + 4 + header_px + legend_px + headroom + 6)
    margins["b"] = round(below + len(note_lines) * NOTE_SIZE * LINE + 8)
    annotations: list[dict] = [
        {
            "name": "source note",
            "text": "<br>".join(note_lines),
            # Under the plot area and whatever is below it (tick labels, axis title), and
            # shifted left to the figure's edge, which the wrap width was measured from.
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 0,
            "xanchor": "left",
            "yanchor": "top",
            "xshift": 8 - margins["l"],
            "yshift": -below,
            "showarrow": False,
            "align": "left",
            "font": {"size": NOTE_SIZE},
        }
    ]
    if header_lines:
        annotations.append(
            {
                "name": "header",
                "text": "<br>".join(header_lines),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": legend_px + headroom + 2,
                "showarrow": False,
                "align": "left",
                "font": {"size": 12},
            }
        )
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "title": {
            "text": title_text,
            "font": {"size": TITLE_SIZE},
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": round(TITLE_BASELINE)},
        },
        "font": {"family": "Arial, Helvetica, sans-serif", "size": FONT_SIZE, "color": TEXT},
        "colorway": list(CATEGORICAL),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": margins,
        "xaxis": {},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#E5E5E5", "rangemode": "tozero"},
        "showlegend": bool(names),
        "annotations": annotations,
    }
    if legend == "top":
        layout["legend"] = {
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "xanchor": "left",
            "yanchor": "bottom",
        }
    else:
        layout["legend"] = {"orientation": "v", "x": 1.0, "y": 0.5}
    fig["layout"].update(layout)
    return fig


def colorscale(colours: tuple[str, ...]) -> list[list]:
    """Evenly spaced stops of a palette, as plotly's colorscale."""
    return [[i / (len(colours) - 1), c] for i, c in enumerate(colours)]


def colorbar_title(text: str) -> dict:
    """A colour bar's title wrapped to the bar's width (a long one would be cut at the edge)."""
    return {"text": "<br>".join(wrap(text, 84, 12)), "font": {"size": 12}}
