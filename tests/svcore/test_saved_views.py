"""Saved views: each user's own list, kept private, addresses on this site only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from svcore import saved_views as sv
from svcore.saved_views import SavedViewError, delete_view, save_view, saved_views


def test_each_user_keeps_their_own_views(tmp_path: Path) -> None:
    save_view(tmp_path, "ann", "Leeds knife", "/where?district=E08000035&group=knife_sharp")
    save_view(tmp_path, "ann", "Board", "/boards/serious-violence-duty?group=knife_sharp")
    save_view(tmp_path, "bob", "Mine", "/who")
    assert [v.name for v in saved_views(tmp_path, "ann")] == ["Leeds knife", "Board"]
    assert [v.url for v in saved_views(tmp_path, "bob")] == ["/who"]
    assert saved_views(tmp_path, "kim") == []
    # The same name again replaces that view (and moves it last).
    save_view(tmp_path, "ann", "Leeds knife", "/where?district=E08000035")
    assert [(v.name, v.url) for v in saved_views(tmp_path, "ann")] == [
        ("Board", "/boards/serious-violence-duty?group=knife_sharp"),
        ("Leeds knife", "/where?district=E08000035"),
    ]
    # A user deletes only their own.
    assert delete_view(tmp_path, "bob", "Board") is False
    assert delete_view(tmp_path, "ann", "Board") is True
    assert [v.name for v in saved_views(tmp_path, "ann")] == ["Leeds knife"]
    assert [v.name for v in saved_views(tmp_path, "bob")] == ["Mine"]
    path = tmp_path / sv.SAVED_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(path.read_text())["users"]) == {"ann", "bob"}


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/where",
        "//evil.example/where",
        "javascript:alert(1)",
        "where?district=E08000035",
        "/where/../../etc/passwd",
        "/where?x=\x00",
        "/where?a=b c",
        "/" + "a" * 3000,
        "",
        None,
    ],
)
def test_only_addresses_on_this_site_are_kept(tmp_path: Path, url: object) -> None:
    with pytest.raises(SavedViewError):
        save_view(tmp_path, "ann", "x", url)
    assert saved_views(tmp_path, "ann") == []


def test_names_are_tidied_and_bounded(tmp_path: Path) -> None:
    view = save_view(tmp_path, "ann", "  Leeds\n\tknife \x07 crime ", "/")
    assert view.name == "Leeds knife crime"
    for bad in ("", "   ", "x" * 81, None, 3):
        with pytest.raises(SavedViewError):
            save_view(tmp_path, "ann", bad, "/")
    with pytest.raises(SavedViewError, match="signed-in"):
        save_view(tmp_path, "", "x", "/")


def test_a_user_has_at_most_so_many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sv, "MAX_PER_USER", 3)
    for i in range(3):
        save_view(tmp_path, "ann", f"v{i}", "/")
    with pytest.raises(SavedViewError, match="at most 3"):
        save_view(tmp_path, "ann", "v3", "/")
    save_view(tmp_path, "ann", "v1", "/who")  # replacing one is not one more
    assert len(saved_views(tmp_path, "ann")) == 3
