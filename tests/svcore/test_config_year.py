"""The partnership's reading of "a year" (``[area] year``): calendar or financial."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcore.config import Settings, read_settings, write_settings

AREA = ("E08000035",)


def test_the_year_setting_round_trips_and_defaults_to_calendar(tmp_path: Path) -> None:
    write_settings(tmp_path, Settings(districts=AREA))
    assert read_settings(tmp_path).year == "calendar"
    write_settings(tmp_path, Settings(districts=AREA, year="fy"))
    assert read_settings(tmp_path).year == "fy"
    text = (tmp_path / "svdash.toml").read_text()
    assert 'year = "fy"' in text
    # "financial" reads as "fy" (an analyst may spell it out by hand).
    (tmp_path / "svdash.toml").write_text(text.replace('year = "fy"', 'year = "financial"'))
    assert read_settings(tmp_path).year == "fy"


def test_an_unknown_year_is_refused() -> None:
    with pytest.raises(ValueError, match="year"):
        Settings(districts=AREA, year="academic")
