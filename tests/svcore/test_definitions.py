"""Definitions by name or from a TOML file anywhere; a file that cannot be used says why."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from svcore.definitions import DefinitionError, builtin_names, load_definition

HOME_OFFICE = (resources.files("svcore.definitions") / "home_office.toml").read_text("utf-8")


def own_definition(path: Path, title: str = "Our partnership's definition") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HOME_OFFICE.replace('name = "home_office"', 'name = "ours"', 1)
    text = text.replace(
        'title = "Home Office Serious Violence Strategy (default)"', f'title = "{title}"', 1
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_a_built_in_definition_by_name() -> None:
    assert "home_office" in builtin_names()
    d = load_definition("home_office")
    assert d.name == "home_office" and "knife_sharp" in d.group_keys()


def test_a_definition_file_anywhere(tmp_path, monkeypatch) -> None:
    deep = own_definition(tmp_path / "config" / "partnership" / "sv-2026.toml", "Deep")
    assert load_definition(str(deep)).title == "Deep"
    # relative to the working folder, without the .toml suffix, and under ~
    monkeypatch.chdir(tmp_path / "config")
    assert load_definition("partnership/sv-2026.toml").title == "Deep"
    plain = own_definition(tmp_path / "config" / "definition", "No suffix")
    assert load_definition(str(plain)).title == "No suffix"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    own_definition(tmp_path / "home" / "def.toml", "In home")
    assert load_definition("~/def.toml").title == "In home"
    d = load_definition(str(deep))
    assert d.name == "ours" and d.group_keys() == load_definition("home_office").group_keys()


def test_a_built_in_name_wins_over_a_file_of_that_name(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("home_office").write_text("not toml [", encoding="utf-8")
    assert load_definition("home_office").name == "home_office"


BROKEN = {
    "not TOML": ('name = "x"\n[groups\n', "not valid TOML"),
    "no name": (
        '[groups.a]\nrules = [{ source = "police", weapon = ["knife_sharp"] }]\n',
        "missing key 'name'",
    ),
    "no groups": ('name = "x"\n', "missing key 'groups'"),
    "groups not a table": ('name = "x"\ngroups = 3\n', "groups must be a table"),
    "group not a table": ('name = "x"\n[groups]\nknife = "yes"\n', "group 'knife' must be a table"),
    "rules not a list": (
        'name = "x"\n[groups.a]\nrules = "all"\n',
        "rules must be a list of tables",
    ),
    "rule not a table": (
        'name = "x"\n[groups.a]\nrules = [1, 2]\n',
        "rules must be a list of tables",
    ),
    "no rules": ('name = "x"\n[groups.a]\nlabel = "A"\n', "group 'a' has no rules"),
    "unknown source": (
        'name = "x"\n[groups.a]\nrules = [{ source = "fax", weapon = ["x"] }]\n',
        "unknown source 'fax'",
    ),
    "unknown column": (
        'name = "x"\n[groups.a]\nrules = [{ source = "police", colour = ["x"] }]\n',
        "police has no classifying column 'colour'",
    ),
    "empty list": (
        'name = "x"\n[groups.a]\nrules = [{ source = "police", weapon = [] }]\n',
        "weapon needs a non-empty list",
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_file_that_is_not_a_definition_says_why(tmp_path, kind) -> None:
    text, why = BROKEN[kind]
    path = tmp_path / f"{kind.replace(' ', '-')}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_definition(str(path))
    assert str(path) in str(exc.value) and why in str(exc.value)


def test_a_file_that_cannot_be_read_says_why(tmp_path) -> None:
    cases = {
        str(tmp_path / "missing.toml"): "no such definition file",
        str(tmp_path / "sub" / "missing"): "no such definition file",
        str(tmp_path): "is a folder, not a definition file",
        "no_such_definition": "not a built-in one (home_office) and no such file",
    }
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    cases[str(latin1)] = "not UTF-8 text"
    for name, why in cases.items():
        with pytest.raises(DefinitionError) as exc:
            load_definition(name)
        assert name in str(exc.value) and why in str(exc.value), str(exc.value)


def test_a_bom_is_accepted(tmp_path) -> None:
    path = own_definition(tmp_path / "bom.toml", "With BOM")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_definition(str(path)).title == "With BOM"
