"""Partner mapping files: renames, recodes, date formats, defaults, wide sheets, and bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import VALID, feed_rows, reader_rows, write_csv, write_feed

from etl.load import load_files
from etl.mapping import Mapping, MappingError, normalise_name, read_mapping

PARTNER_MAPPING = """\
partner = "northshire_police"
feed = "police"

[columns]
"Crime Reference" = "crime_ref"
"Date Recorded" = "recorded_date"
"Date Committed" = "offence_date"
"HO Code" = "ho_offence_code"
"Victim Gender" = "victim_sex"
"Location Category" = "location_type"

[values.victim_sex]
Male = "M"
FEMALE = "F"
"Not Known" = "unknown"

[values.location_type]
"Public Place" = "street"
"House / Flat" = "dwelling"

[dates]
formats = ["%d/%m/%Y"]

[defaults]
weapon = "unknown"
"""

PARTNER_RENAMES = {
    "crime_ref": "Crime Reference",
    "recorded_date": "Date Recorded",
    "offence_date": "Date Committed",
    "ho_offence_code": "HO Code",
    "victim_sex": "Victim Gender",
    "location_type": "Location Category",
}


def partner_file(path: Path, n: int = 6) -> Path:
    """A police extract in one partner's own layout: other names, codes and date style."""
    header = [PARTNER_RENAMES.get(c, c) for c in VALID["police"] if c != "weapon"]
    rows = []
    for i, r in enumerate(feed_rows("police", n)):
        r = dict(r)
        r["recorded_date"], r["offence_date"] = "10/01/2024", "09/01/2024"
        r["victim_sex"] = ("Male", "female", "NOT KNOWN")[i % 3]
        r["location_type"] = ("Public Place", "house / flat")[i % 2]
        rows.append({PARTNER_RENAMES.get(k, k): v for k, v in r.items()})
    return write_csv(path, header, rows)


def test_normalise_name() -> None:
    assert normalise_name(" Crime ID ") == "crime_id"
    assert normalise_name("\ufeffLSOA code (2011)") == "lsoa_code_2011"
    assert normalise_name("Victim-Age") == "victim_age"


def test_read_mapping(tmp_path) -> None:
    path = tmp_path / "northshire.toml"
    path.write_text(PARTNER_MAPPING, encoding="utf-8")
    m = read_mapping(path)
    assert m.partner == "northshire_police" and m.feed == "police"
    assert m.renames["crime_reference"] == "crime_ref"
    assert m.renames["location_category"] == "location_type"
    assert m.recodes["victim_sex"] == {"male": "M", "female": "F", "not known": "unknown"}
    assert m.date_formats == ("%d/%m/%Y",)
    assert m.defaults == {"weapon": "unknown"}
    assert m.sha256 and len(m.sha256) == 64
    assert read_mapping(None) == Mapping()


def test_partner_extract_loads_through_its_mapping(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "northshire.toml"
    mapping.write_text(PARTNER_MAPPING, encoding="utf-8")
    path = partner_file(tmp_path / "northshire-jan.csv")
    (without,) = load(warehouse, "police", path)
    assert without.status == "refused" and "crime_ref" in without.message

    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "loaded", r.errors[:3]
    assert r.rows_loaded == 6
    assert reader_rows(
        warehouse,
        "SELECT DISTINCT partner, recorded_date, offence_date, weapon FROM police",
    ) == [("northshire_police", dt.date(2024, 1, 10), dt.date(2024, 1, 9), "unknown")]
    assert reader_rows(
        warehouse,
        "SELECT victim_sex, location_type, count(*) FROM police GROUP BY ALL ORDER BY ALL",
    ) == [(sex, place, 1) for sex in ("F", "M", "unknown") for place in ("dwelling", "street")]
    assert reader_rows(
        warehouse, "SELECT mapping_sha256 FROM loads WHERE feed = 'police' AND status = 'loaded'"
    ) == [(read_mapping(mapping).sha256,)]


def test_unrecoded_value_is_still_checked(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[values.victim_sex]\nMale = "M"\n', encoding="utf-8")
    rows = feed_rows("police", 30, victim_sex="Male")
    rows[0]["victim_sex"] = "Bloke"
    (r,) = load(
        warehouse, "police", write_feed(tmp_path / "p.csv", "police", rows), mapping_path=mapping
    )
    assert r.status == "loaded" and r.rows_loaded == 29
    assert r.errors[0]["column"] == "victim_sex"
    assert r.errors[0]["reason"].endswith(": Bloke")


def test_default_fills_a_missing_required_column(warehouse, load, tmp_path) -> None:
    header = [c for c in VALID["health"] if c != "site_code"]
    path = write_csv(tmp_path / "ed.csv", header, feed_rows("health", 4))
    (refused,) = load(warehouse, "health", path)
    assert refused.status == "refused" and "site_code" in refused.message
    mapping = tmp_path / "ed.toml"
    mapping.write_text('[defaults]\nsite_code = "RR801"\n', encoding="utf-8")
    (r,) = load(warehouse, "health", path, mapping_path=mapping)
    assert r.status == "loaded"
    assert reader_rows(warehouse, "SELECT DISTINCT site_code FROM health") == [("RR801",)]


def test_two_columns_meaning_the_same_are_refused(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Ref" = "crime_ref"\n', encoding="utf-8")
    header = ["Ref", *VALID["police"]]
    rows = [["X1", *r.values()] for r in feed_rows("police", 3)]
    (r,) = load(
        warehouse, "police", write_csv(tmp_path / "p.csv", header, rows), mapping_path=mapping
    )
    assert r.status == "refused"
    assert "'Ref'" in r.message and "'crime_ref'" in r.message


def test_indicator_missing_markers(warehouse, load, tmp_path) -> None:
    header = ["indicator_code", "indicator_name", "area_code", "period", "value", "unit", "source"]
    rows = [
        ["neet_rate", "NEET 16-17", "E08000001", "2023", "5.2", "percent", "DfE"],
        ["neet_rate", "NEET 16-17", "E08000002", "2023", "z", "percent", "DfE"],
        ["neet_rate", "NEET 16-17", "E08000009", "2023", "4.0", "percent", "DfE"],
        ["exclusions", "Permanent exclusions", "E01000001", "2023/24", "[c]", "count", "LA"],
        ["exclusions", "Permanent exclusions", "E01000002", "2023/24", "n/a", "count", "LA"],
    ]
    path = write_csv(tmp_path / "ind.csv", header, rows)
    (refused,) = load(warehouse, "indicators", path)
    assert refused.status == "refused"
    assert [(e["line"], e["column"]) for e in refused.errors] == [(6, "value")]

    mapping = tmp_path / "ind.toml"
    mapping.write_text('[missing]\nmarkers = ["z", "[c]", "n/a"]\n', encoding="utf-8")
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "loaded"
    assert (r.rows_loaded, r.rows_out_of_area) == (4, 1)
    assert reader_rows(
        warehouse, "SELECT area_code, period, value FROM indicators ORDER BY area_code"
    ) == [
        ("E01000001", "2023/24", None),
        ("E01000002", "2023/24", None),
        ("E08000001", "2023", 5.2),
        ("E08000002", "2023", None),
    ]


def test_wide_indicator_sheet_is_melted(warehouse, load, tmp_path) -> None:
    header = ["Area Code", "Period", "NEET %", "Claimants"]
    rows = [["E08000001", "2024-03", "5.5", "1,200"], ["E08000002", "2024-03", "6.1", "800"]]
    path = write_csv(tmp_path / "wide.csv", header, rows)
    mapping = tmp_path / "wide.toml"
    mapping.write_text(
        '[defaults]\nunit = "mixed"\n\n[wide.columns]\n"NEET %" = "neet_rate"\n'
        'Claimants = "claimant_count"\n',
        encoding="utf-8",
    )
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "loaded", r.errors
    assert reader_rows(
        warehouse,
        "SELECT indicator_code, area_code, period, value FROM indicators ORDER BY ALL",
    ) == [
        ("claimant_count", "E08000001", "2024-03", 1200.0),
        ("claimant_count", "E08000002", "2024-03", 800.0),
        ("neet_rate", "E08000001", "2024-03", 5.5),
        ("neet_rate", "E08000002", "2024-03", 6.1),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns = [", "not a valid TOML mapping file"),
        ('[colums]\n"a" = "b"\n', "unknown section(s) colums"),
        ('columns = "crime_ref"\n', "[columns] must be a table"),
        ('[values]\nvictim_sex = "M"\n', "[values.victim_sex] must map"),
    ],
    ids=["not-toml", "unknown-section", "columns-not-table", "values-not-table"],
)
def test_bad_mapping_file(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        read_mapping(path)
    assert str(exc.value).startswith(str(path))
    assert message in str(exc.value)


def test_unreadable_mapping_files(tmp_path) -> None:
    with pytest.raises(MappingError, match="cannot read mapping file"):
        read_mapping(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MappingError, match="not a valid TOML"):
        read_mapping(binary)


def test_mapping_for_another_feed_is_refused(warehouse, load, tmp_path) -> None:
    mapping = tmp_path / "ed.toml"
    mapping.write_text('feed = "health"\n', encoding="utf-8")
    path = write_feed(tmp_path / "p.csv", "police", feed_rows("police", 2))
    with pytest.raises(MappingError, match="for feed 'health', not 'police'"):
        load(warehouse, "police", path, mapping_path=mapping)


def test_the_same_file_with_a_corrected_mapping_loads_again(make_warehouse, tmp_path) -> None:
    """Same bytes, same mapping: unchanged. Same bytes through a corrected mapping: its rows
    come out differently, so it loads and replaces what the wrong mapping made."""
    wh = make_warehouse()
    f = write_feed(tmp_path / "p.csv", "police", feed_rows("police", 10, victim_sex="Male"))
    wrong, right = tmp_path / "wrong.toml", tmp_path / "right.toml"
    wrong.write_text('[values.victim_sex]\nMale = "F"\n', encoding="utf-8")
    right.write_text('[values.victim_sex]\nMale = "M"\n', encoding="utf-8")
    assert load_files(wh, "police", [f], mapping_path=wrong)[0].status == "loaded"
    assert load_files(wh, "police", [f], mapping_path=wrong)[0].status == "unchanged"
    assert load_files(wh, "police", [f], mapping_path=right)[0].status == "loaded"
    assert reader_rows(wh, "SELECT victim_sex, count(*) FROM police GROUP BY 1") == [("M", 10)]
