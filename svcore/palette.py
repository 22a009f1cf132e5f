"""Colours: the Government Analysis Function's accessible categorical palette.

Ordered as the guidance recommends so that the first few series stay distinguishable for
people with colour-vision deficiency; sequential scales for maps are single-hue.
"""

from __future__ import annotations

CATEGORICAL = (
    "#12436D",  # dark blue
    "#28A197",  # turquoise
    "#801650",  # dark pink
    "#F46A25",  # orange
    "#3D3D3D",  # dark grey
    "#A285D1",  # light purple
)

SEQUENTIAL_BLUE = ("#DEEBF7", "#9ECAE1", "#4292C6", "#2171B5", "#08519C", "#08306B")
SUPPRESSED_GREY = "#BFC1C3"
TEXT = "#0B0C0C"
# Diverging, for scores centred on the average (a risk index): blue below, pink above.
DIVERGING = ("#08519C", "#4292C6", "#9ECAE1", "#F3F2F1", "#E8A0B8", "#C0406E", "#801650")
# Years an area was a significant hot spot: none (pale) to every year (dark pink).
PERSISTENCE = ("#F3F2F1", "#E8A0B8", "#C0406E", "#801650")
# Risk-index quadrants: high risk and high violence, high risk with low violence yet, low risk
# with high violence, low risk and low violence.
QUADRANT_COLOURS = (CATEGORICAL[2], CATEGORICAL[3], CATEGORICAL[0], CATEGORICAL[4])
