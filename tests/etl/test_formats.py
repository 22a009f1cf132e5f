"""Files as portals publish them: mapping filters, workbook sheets, .csv.gz and .zip archives.

The DfE NEET file (national and regional rows with a blank LA code) loads through a mapping
that keeps its local-authority rows; those left out are counted as excluded, never as bad.
"""

from __future__ import annotations

import csv

import pytest
from helpers import REALDATA, feed_rows, reader_rows, write_csv

from etl.mapping import MappingError, read_mapping

NEET = REALDATA / "indicators" / "UD_NEETNK_LA_dashboard_2023_final_dfe.csv"
WY = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")

NEET_MAPPING = """\
partner = "dfe"
feed = "indicators"

[columns]
new_la_code = "area_code"
time_period = "period"

[filter]
geographic_level = "Local authority"

[wide.columns]
NEET_percent = "neet_16_17_percent"
Notknown_percent = "not_known_16_17_percent"
NEET_not_known_percent = "neet_or_not_known_16_17_percent"

[defaults]
unit = "percent"
source = "DfE, 16-17 year olds NEET or not known, 2023"
"""


def test_filter_in_a_mapping_file(tmp_path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[filter]\n"Geographic Level" = "Local authority"\nkind = ["a", "B "]\n',
                    encoding="utf-8")
    assert read_mapping(path).keep == {"geographic_level": ("local authority",),
                                       "kind": ("a", "b")}
    for bad in ('[filter]\nx = []\n', '[filter]\nx = { a = 1 }\n', 'filter = 3\n',
                'sheet = 3\n'):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(MappingError, match=str(path)):
            read_mapping(path)


def test_rows_left_out_by_the_filter_are_excluded_not_bad(warehouse, load, tmp_path) -> None:
    header = ["level", "indicator_code", "area_code", "period", "value"]
    rows = [["District", "neet", "E08000001", "2023", "5.1"],
            ["District", "neet", "E08000002", "2023", "4.2"],
            ["National", "neet", "", "2023", "4.9"],
            ["", "neet", "", "2023", "4.9"],
            ["district ", "neet", "E08000009", "2023", "3.0"]]
    path = write_csv(tmp_path / "ind.csv", header, rows)
    (refused,) = load(warehouse, "indicators", path)
    assert refused.status == "refused"  # 2 of 5 rows have no area code
    mapping = tmp_path / "m.toml"
    mapping.write_text('[filter]\nlevel = "district"\n', encoding="utf-8")
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "loaded", r.message
    assert (r.rows_read, r.rows_loaded, r.rows_excluded, r.rows_out_of_area,
            r.rows_quarantined) == (5, 2, 2, 1, 0)
    assert "excluded by the mapping's filter: 2" in r.message
    assert reader_rows(warehouse, "SELECT rows_excluded, message FROM loads WHERE status = "
                       "'loaded' AND feed = 'indicators'") == [(2, r.message)]

    mapping.write_text('[filter]\nregion = "North"\n', encoding="utf-8")
    (r,) = load(warehouse, "indicators", path, mapping_path=mapping)
    assert r.status == "refused" and "[filter] names column 'region'" in r.message


@pytest.mark.skipif(not NEET.exists(), reason="real DfE NEET file not present")
def test_dfe_neet_file_loads_through_a_mapping(make_warehouse, load, tmp_path) -> None:
    with open(NEET, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    national = [r for r in rows if r["geographic_level"] != "Local authority"]
    assert len(rows) == 160 and len(national) == 10
    assert all(not r["new_la_code"] for r in national)
    mine = {r["new_la_code"]: r for r in rows if r["new_la_code"] in WY}
    assert len(mine) == 5

    wh = make_warehouse(districts=WY, geography=False)
    (geo,) = load(wh, "geography", REALDATA / "lookups" / "LSOA11_WD19_LAD19_EW_LU.csv")
    assert geo.status == "loaded"
    (without,) = load(wh, "indicators", NEET)
    assert without.status == "refused"

    mapping = tmp_path / "dfe-neet.toml"
    mapping.write_text(NEET_MAPPING, encoding="utf-8")
    (r,) = load(wh, "indicators", NEET, mapping_path=mapping)
    measures = 3
    assert r.status == "loaded", r.message
    assert r.rows_read == len(rows) * measures
    assert r.rows_excluded == len(national) * measures  # national and regional rows
    assert r.rows_quarantined == 0 and r.errors == []
    assert r.rows_loaded == 5 * measures
    assert r.rows_out_of_area == (len(rows) - len(national) - 5) * measures
    assert f"excluded by the mapping's filter: {len(national) * measures}" in r.message
    got = reader_rows(wh, "SELECT area_code, indicator_code, period, value, unit FROM indicators "
                      "ORDER BY 1, 2")
    assert got == sorted(
        (code, ind, "2023", float(mine[code][col]), "percent")
        for code in WY for col, ind in (
            ("NEET_percent", "neet_16_17_percent"), ("Notknown_percent", "not_known_16_17_percent"),
            ("NEET_not_known_percent", "neet_or_not_known_16_17_percent")))


def test_mapping_names_the_workbook_sheet(warehouse, load, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["This workbook holds the extract on the next sheet"])
    ws = wb.create_sheet("Crimes Jan")
    rows = feed_rows("police", 4)
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    path = tmp_path / "extract.xlsx"
    wb.save(path)
    (first,) = load(warehouse, "police", path)
    assert first.status == "refused"  # the notes sheet has no crime columns
    mapping = tmp_path / "m.toml"
    mapping.write_text('sheet = "crimes jan"\n', encoding="utf-8")
    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "loaded" and r.rows_loaded == 4
    mapping.write_text('sheet = "Feb"\n', encoding="utf-8")
    (r,) = load(warehouse, "police", path, mapping_path=mapping)
    assert r.status == "refused" and "no sheet 'Feb'" in r.message and "Crimes Jan" in r.message


def test_a_batch_through_a_mapping_with_defaults(warehouse, load, tmp_path) -> None:
    """Two files in one batch, each given a constant column: the second is not tripped up by
    what the first left behind."""
    header = [c for c in feed_rows("health", 1)[0] if c != "site_code"]
    a = write_csv(tmp_path / "a.csv", header, feed_rows("health", 3))
    b = write_csv(tmp_path / "b.csv", header, feed_rows("health", 3, start=10,
                                                        arrival_datetime="2024-02-10 23:15",
                                                        assault_datetime="2024-02-10 22:50"))
    mapping = tmp_path / "m.toml"
    mapping.write_text('[defaults]\nsite_code = "RR801"\n', encoding="utf-8")
    reports = load(warehouse, "health", a, b, mapping_path=mapping)
    assert [r.status for r in reports] == ["loaded", "loaded"], [r.message for r in reports]
