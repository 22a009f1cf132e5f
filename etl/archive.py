"""Files as portals publish them: gzip files, zip archives of one or many files, and the
police.uk archive (a zip of ``YYYY-MM/`` folders of street, outcomes and stop-and-search CSVs).

Each file inside is loaded as the file it would be if unpacked by hand: the same name, the same
bytes (so the same SHA-256, and loading it again unpacked reports ``unchanged``), its own
all-or-nothing unit and its own report line, named ``archive.zip/2024-01/2024-01-x-street.csv``.
Members are unpacked one at a time into a temporary folder and removed when loaded, so a large
archive needs the space of its largest member only. Python's own ``zipfile`` and ``gzip`` read
them; an archive that cannot be read is refused with a message naming it, like any other file.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from etl.read import FileRefused

# No partner file is this large unpacked; beyond it a file is refused rather than fill the disk.
MAX_MEMBER_BYTES = 8 * 1024**3
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
# police.uk's archive names each file YYYY-MM-<force>-<kind>.csv inside a YYYY-MM/ folder.
POLICEUK_MEMBER = re.compile(r"(\d{4}-\d{2})-.+-(street|outcomes|stop-and-search)\.csv$", re.I)
POLICEUK_KIND = {"policeuk": "street", "policeuk_outcomes": "outcomes"}


@dataclass
class Member:
    """One file to load: ``path`` is on disk (the file itself or an unpacked copy), ``shown``
    is how reports name it, ``refused`` is set instead when it could not be unpacked."""

    path: Path | None
    shown: str
    refused: FileRefused | None = None


SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def digest(path: Path) -> str:
    """The SHA-256 the load manifest keeps for a file. A shapefile is several files: its
    digest covers the .shp and the attributes, index, projection and encoding beside it, so a
    corrected .dbf or .prj sent with the same .shp is new work, not "unchanged"."""
    import hashlib

    from etl.parts import sha256_file

    if path.suffix.lower() != ".shp":
        return sha256_file(path)
    h = hashlib.sha256()
    for ext in SHAPEFILE_PARTS:
        for part in (path.with_suffix(ext), path.with_suffix(ext.upper())):
            if part.is_file():
                h.update(f"{ext}:{sha256_file(part)};".encode())
                break
    return h.hexdigest()


def members(path: Path, feed: str, workdir: Path) -> Iterator[Member]:
    """The files to load for one path given to ``svdash load``.

    A plain file is itself. A ``.gz`` file is its content. A ``.zip`` is each of its files a
    feed can read (for ``policeuk`` the street files of a police.uk archive, for
    ``policeuk_outcomes`` its outcomes files); for ``boundaries`` a zipped shapefile is read
    whole, in place. A folder of boundary files (a shapefile handed over as a folder) is each
    ``.shp``, GeoPackage or GeoJSON in it.
    """
    path = Path(path)
    if path.is_dir() and feed == "boundaries":
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in BOUNDARY_SUFFIXES)
        if not found:
            yield Member(
                None,
                str(path),
                FileRefused(
                    path,
                    "the folder holds no boundary file (.shp with its .dbf, .shx and .prj; "
                    ".gpkg; or .geojson)",
                ),
            )
        for p in found:
            yield Member(p, str(p))
        return
    suffix = path.suffix.lower()
    if suffix == ".gz" and path.is_file():
        yield _gunzip(path, workdir)
        return
    if suffix != ".zip" or not path.is_file():
        yield Member(path, str(path))
        return
    if feed == "boundaries" and _zip_has_shapefile(path):
        yield Member(path, str(path))  # GDAL reads a zipped shapefile in place
        return
    yield from _zip_members(path, feed, workdir)


def _gunzip(path: Path, workdir: Path) -> Member:
    name = path.name[: -len(".gz")] or "unpacked"
    out = _fresh(workdir) / name
    try:
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            _copy_limited(src, dst, path)
    except FileRefused as exc:
        return Member(None, str(path), exc)
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.errno:
            raise  # the disk, not the file (e.g. no space left): the load stops and says so
        return Member(
            None,
            str(path),
            FileRefused(path, f"is not a readable gzip file ({exc}); is the download complete?"),
        )
    return Member(out, str(path))


def _zip_has_shapefile(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.lower().endswith(".shp") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False  # refused below, with the reason


def _wanted(name: str, feed: str) -> bool:
    p = PurePosixPath(name)
    if name.endswith("/") or any(part.startswith((".", "__MACOSX")) for part in p.parts):
        return False
    if feed == "boundaries":
        return p.suffix.lower() in BOUNDARY_SUFFIXES and p.suffix.lower() != ".shp"
    return p.suffix.lower() in TABLE_SUFFIXES


def _zip_members(path: Path, feed: str, workdir: Path) -> Iterator[Member]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile) and exc.errno:
            raise
        yield Member(
            None,
            str(path),
            FileRefused(path, f"is not a readable zip archive ({exc}); is the download complete?"),
        )
        return
    with zf:
        infos = [i for i in zf.infolist() if _wanted(i.filename, feed)]
        uk = [i for i in infos if POLICEUK_MEMBER.search(PurePosixPath(i.filename).name)]
        if uk:  # a police.uk archive: the files of this feed's kind only
            kind = POLICEUK_KIND.get(feed)
            infos = [
                i
                for i in uk
                if kind
                and POLICEUK_MEMBER.search(PurePosixPath(i.filename).name).group(2).lower() == kind
            ]
        infos.sort(key=lambda i: i.filename)
        if not infos:
            found = ", ".join(i.filename for i in zf.infolist()[:10]) or "nothing"
            what = {
                "policeuk": "police.uk street file (YYYY-MM-<force>-street.csv)",
                "policeuk_outcomes": "police.uk outcomes file (YYYY-MM-<force>-outcomes.csv)",
                "boundaries": "boundary file (.geojson, .gpkg or a shapefile)",
            }.get(feed, "CSV or Excel file")
            yield Member(
                None,
                str(path),
                FileRefused(path, f"the zip archive holds no {what} (found: {found})"),
            )
            return
        for info in infos:
            shown = f"{path}/{info.filename}"
            member_dir = _fresh(workdir)
            out = member_dir / (PurePosixPath(info.filename).name or "member")
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    _copy_limited(src, dst, Path(shown))
            except FileRefused as exc:
                yield Member(None, shown, exc)
                continue
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                zlib.error,
                RuntimeError,
                NotImplementedError,
                ValueError,
            ) as exc:
                if isinstance(exc, OSError) and exc.errno:
                    raise
                yield Member(
                    None, shown, FileRefused(shown, f"cannot be unpacked from the archive ({exc})")
                )
                continue
            try:
                yield Member(out, shown)
            finally:
                shutil.rmtree(member_dir, ignore_errors=True)


def _fresh(workdir: Path) -> Path:
    """A new empty folder under ``workdir`` (one per unpacked file, so names never clash)."""
    return Path(tempfile.mkdtemp(prefix="m", dir=workdir))


def _copy_limited(src, dst, shown: Path) -> None:
    total = 0
    while chunk := src.read(1 << 20):
        total += len(chunk)
        if total > MAX_MEMBER_BYTES:
            raise FileRefused(
                shown,
                f"unpacks to more than {MAX_MEMBER_BYTES // 1024**3} GiB; "
                "unpack it by hand and load its files",
            )
        dst.write(chunk)
