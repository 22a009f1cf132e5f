"""``[[boards]]`` in svdash.toml: parsed, checked, written back; errors name board and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcore.config import Board, BoardError, Settings, read_settings, write_settings

AREA = '[area]\ndistricts = ["E08000034", "E08000035"]\n'


def settings_with(tmp_path: Path, boards: str) -> Settings:
    (tmp_path / "svdash.toml").write_text(AREA + boards, encoding="utf-8")
    return read_settings(tmp_path)


def test_boards_are_read_with_filters_as_a_query_or_a_table(tmp_path: Path) -> None:
    s = settings_with(
        tmp_path,
        """
[[boards]]
slug = "leeds-knife"
name = "Leeds knife crime"
description = "For the Leeds community safety partnership."
filters = "district=E08000035&group=knife_sharp"
views = ["overview-trend", "where-map"]
controls = { level = "ward" }

[[boards]]
slug = "two-districts"
name = "Two districts"
filters = { district = ["E08000034", "E08000035"], from = "2024-01" }
views = ["overview-headline"]

[[boards]]
slug = "serious-violence-duty"
filters = "group=homicide"

[[boards]]
slug = "lcjb-oocd"
enabled = false
""",
    )
    leeds, two, duty, gone = s.boards
    assert leeds == Board(
        slug="leeds-knife",
        name="Leeds knife crime",
        description="For the Leeds community safety partnership.",
        filters="district=E08000035&group=knife_sharp",
        views=("overview-trend", "where-map"),
        controls={"level": "ward"},
    )
    assert two.filters == "district=E08000034&district=E08000035&from=2024-01"
    # An entry naming a shipped board gives only the keys it changes.
    assert duty.given() == {"filters": "group=homicide", "enabled": True}
    assert gone.enabled is False and gone.given() == {"enabled": False}


def test_no_boards_key_means_no_configured_boards(tmp_path: Path) -> None:
    assert settings_with(tmp_path, "").boards == ()


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ('slug = "Bad Slug"\nname = "x"', ('"Bad Slug"', "slug")),
        ('name = "no slug"', ('"#1"', "slug")),
        ('slug = "b"\ntitle = "x"', ('"b"', "title", "not a board key")),
        ('slug = "b"\nviews = "overview-trend"', ('"b"', "views", "list of view names")),
        ('slug = "b"\nviews = []', ('"b"', "views")),
        ('slug = "b"\nviews = ["where-map", "where-map"]', ('"b"', "views", "once")),
        ('slug = "b"\nfilters = 3', ('"b"', "filters")),
        ('slug = "b"\nfilters = { district = true }', ('"b"', "filters.district")),
        ('slug = "b"\ncontrols = { level = 1 }', ('"b"', "controls")),
        ('slug = "b"\nenabled = "no"', ('"b"', "enabled")),
        ('slug = "b"\nname = ""', ('"b"', "name")),
    ],
)
def test_a_bad_board_is_named_with_its_key(tmp_path: Path, entry: str, names: tuple) -> None:
    with pytest.raises(BoardError) as err:
        settings_with(tmp_path, f"[[boards]]\n{entry}\n")
    message = str(err.value)
    assert message.startswith("svdash.toml [[boards]]")
    for word in names:
        assert word in message


def test_two_boards_with_one_slug_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BoardError, match='"same": slug: more than one'):
        settings_with(
            tmp_path,
            '[[boards]]\nslug = "same"\nname = "A"\n[[boards]]\nslug = "same"\nname = "B"\n',
        )


def test_boards_survive_a_write_and_a_read(tmp_path: Path) -> None:
    boards = (
        Board("mine", "Mine", "About", "group=robbery", ("how-weapon",), {"level": "ward"}),
        Board("lcjb-oocd", enabled=False),
    )
    settings = Settings(districts=("E08000035",), boards=boards)
    write_settings(tmp_path, settings)
    assert read_settings(tmp_path).boards == boards
    # Settings without boards write no [[boards]] (a file as before).
    write_settings(tmp_path, Settings(districts=("E08000035",)))
    assert "boards" not in (tmp_path / "svdash.toml").read_text()
