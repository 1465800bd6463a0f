# ruff: noqa: F811  (fixtures imported from the inspections tests are parameters here)
"""Hostile files at every upload and import, through the web and the command line: a zip bomb
dressed as xlsx, an XML entity bomb, an external entity, HTML or SVG renamed, a file over the
limit, a NUL in a text table. Each is refused within 5 s with a clear message, memory stays
bounded and nothing is stored (issue 16, "Kept in the suite")."""

from __future__ import annotations

import inspect
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from openpyxl import Workbook

from evaluation.core.tables import AuditEntry, Department
from evaluation.ratings.tables import Rating, RatingTally
from evaluation.surveys.tables import Survey
from inspections.tables import Evidence, IndicatorSystem
from tests.conftest import CSRF_FIELD, Visitor, run, text_of
from tests.core.test_cli import pingyi
from tests.inspections.conftest import inspection  # noqa: F401 (a fixture)
from tests.inspections.test_evidence import liqiang, photos_url, send_photo  # noqa: F401 (a fixture)

SECONDS = 5
MEGABYTES = 64  # the most a refusal may take, files and test client included
BOMB_UNPACKED = 300 * 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _with_part(content: bytes, part: str, replacement: bytes) -> bytes:
    """The xlsx ``content`` with one of its XML parts replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replacement if item.filename == part else source.read(item))
    return out.getvalue()


def _zip_bomb(base: bytes) -> bytes:
    """An xlsx whose sheet unpacks to 300 MB (a few hundred KB packed)."""
    out = io.BytesIO()
    chunk = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item.filename, source.read(item))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(BOMB_UNPACKED // len(chunk)):
                sheet.write(chunk)
    return out.getvalue()


_SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
          b'<c r="C1" t="inlineStr"><is><t>group</t></is></c></row>'
          b'<row r="2"><c r="A2" t="inlineStr"><is><t>SZ90</t></is></c><c r="B2" t="inlineStr"><is><t>%s</t></is></c>'
          b'<c r="C2" t="inlineStr"><is><t>municipal</t></is></c></row></sheetData></worksheet>')
ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                          for n in range(1, 10))
               + b"]>" + _SHEET % b"&lol9;")
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   + _SHEET % b"&xxe;")
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture(scope="module")
def hostile_tables() -> dict[str, tuple[str, bytes, str]]:
    """name → (file name, content, what the refusal says)."""
    base = _xlsx([["code", "name", "group"], ["SZ90", "市统计局", "市直单位"]])
    return {
        "zip bomb": ("departments.xlsx", _zip_bomb(base), "解压后过大"),
        "entity bomb": ("departments.xlsx", _with_part(base, SHEET, ENTITY_BOMB),
                        "无法读取该 xlsx 文件"),
        "external entity": ("departments.xlsx", _with_part(base, SHEET, EXTERNAL_ENTITY),
                            "无法读取该 xlsx 文件"),
        "HTML renamed xlsx": ("departments.xlsx", HTML, "无法读取该 xlsx 文件"),
        "SVG renamed xlsx": ("departments.xlsx", SVG, "无法读取该 xlsx 文件"),
        "oversize": ("departments.csv", b"code,name,group\n" + "SZ90,x,市直单位\n".encode() * 300_000, "文件太大"),
        "NUL in text": ("departments.csv", "code,name,group\nSZ90,市\x00统计局,市直单位\n".encode(), "空字符"),
    }


def _stored() -> tuple[int, ...]:
    """What an import or an upload could have written."""
    async def counts() -> tuple[int, ...]:
        return (await AuditEntry.count(), await Department.count(), await IndicatorSystem.count(),
                await Rating.count(), await RatingTally.count(), await Evidence.count())

    return run(counts)


def _evidence_files(var_dir: Path) -> set[Path]:
    return set((var_dir / "uploads" / "evidence").glob("*"))


def _refused_in_time(send: Callable[[], Any]) -> tuple[Any, float]:
    """The answer, and the most memory (MB) allocated while it was made."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        answer = send()
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    return answer, peak / 1024 / 1024


def _upload(visitor: Visitor, url: str, filename: str, content: bytes, **fields: str) -> Any:
    return visitor.client.post(url, data={CSRF_FIELD: visitor.csrf_token(), **fields},
                               files={"file": (filename, content)})


# Every route that takes a file: the form fields it needs beside the file.
UPLOAD_ROUTES: dict[str, dict[str, str]] = {
    "/staff/departments/import": {},
    "/staff/ratings/import": {"period": "2026-pj"},
    "/staff/indicators/import": {"year": "2026", "code": "x"},
    "/staff/rounds/2026-kh/scores": {},
    "/staff/reports/2025/city/import": {},
}


def test_every_route_that_takes_a_file_is_sent_the_hostile_files(app):
    takes_files = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            source = inspect.getsource(handler.fn)
            if "POST" in handler.http_methods and ("read_upload(" in source or '.get("file")' in source):
                takes_files.add(route.path)
    listed = {"/staff/departments/import", "/staff/ratings/import", "/staff/indicators/import",
              "/staff/rounds/{code:str}/scores", "/staff/reports/{year:int}/city/import",
              "/staff/reports/{year:int}/units/{code:str}/import",
              "/inspect/checklists/{checklist_id:int}/items/{indicator_id:int}/photos",
              "/staff/surveys/import"}
    assert takes_files == listed


@pytest.mark.parametrize("kind", ["zip bomb", "entity bomb", "external entity", "HTML renamed xlsx",
                                  "SVG renamed xlsx", "oversize", "NUL in text"])
def test_a_hostile_table_is_refused_at_every_import(kind, office, inspection, period, hostile_tables):
    filename, content, message = hostile_tables[kind]
    before = _stored()
    for url, fields in UPLOAD_ROUTES.items():
        response, megabytes = _refused_in_time(lambda url=url, fields=fields: _upload(office, url, filename, content,
                                                                                   **fields))
        shown = text_of(response.text)
        assert response.status_code in (200, 413, 422), (url, response.status_code)
        assert message in shown, (url, shown[:300])
        assert "root:" not in response.text
        assert megabytes < MEGABYTES, (url, f"{megabytes:.0f} MB")
    assert _stored() == before


@pytest.mark.parametrize("kind", ["zip bomb", "entity bomb", "external entity", "HTML renamed xlsx",
                                  "SVG renamed xlsx"])
def test_a_hostile_xlsform_is_refused(kind, office, hostile_tables):
    _filename, content, message = hostile_tables[kind]
    response, megabytes = _refused_in_time(
        lambda: _upload(office, "/staff/surveys/import", "survey.xlsx", content, code="hostile"))
    assert response.status_code in (413, 422), response.status_code
    assert message in text_of(response.text) and "root:" not in response.text
    assert megabytes < MEGABYTES
    assert not run(Survey.exists().where(Survey.code == "hostile"))


@pytest.mark.parametrize(("filename", "content"), [
    ("image.jpg", SVG), ("poly.png", HTML), ("photo.webp", b"RIFF\x00\x00\x00\x00WEBX" + b"\x00" * 64),
    ("notes.jpg", "现场\x00记录".encode()), ("sheet.jpg", b"PK\x03\x04" + b"\x00" * 64),
])
def test_a_file_that_is_not_a_photo_is_refused_as_evidence(
        liqiang, inspection, var_dir: Path, filename, content):
    before, files = _stored(), _evidence_files(var_dir)
    response, megabytes = _refused_in_time(
        lambda: send_photo(liqiang, photos_url(inspection), filename, content, upload_id="hostile-file"))
    assert response.status_code == 422 and "只能上传 JPEG、PNG 或 WebP 格式的照片" in response.json()["message"]
    assert megabytes < MEGABYTES and _stored() == before
    assert _evidence_files(var_dir) == files


def test_a_photo_over_the_limit_is_refused_before_it_is_read_whole(
        liqiang, inspection, var_dir: Path):
    before, files = _stored(), _evidence_files(var_dir)
    content = b"\xff\xd8\xff\xe0" + b"\x00" * (12 * 1024 * 1024)
    response, megabytes = _refused_in_time(
        lambda: send_photo(liqiang, photos_url(inspection), "big.jpg", content, upload_id="too-big-file"))
    assert response.status_code == 413 and "照片不能超过 10 MB" in response.json()["message"]
    assert megabytes < MEGABYTES and _stored() == before
    assert _evidence_files(var_dir) == files


@pytest.mark.parametrize("kind", ["zip bomb", "entity bomb", "external entity", "HTML renamed xlsx", "oversize",
                                  "NUL in text"])
def test_a_hostile_table_is_refused_by_every_import_command(kind, inspection, period, hostile_tables, tmp_path,
                                                            capsys):
    filename, content, message = hostile_tables[kind]
    path = tmp_path / filename
    path.write_bytes(content)
    before = _stored()
    commands = [
        ("departments", "import", str(path)),
        ("ratings", "import", "2026-pj", str(path)),
        ("indicators", "import", str(path), "--year", "2026", "--code", "x"),
        ("scores", "import", "2026-kh", str(path)),
        ("report", "import", "2025", str(path)),
    ]
    for command in commands:
        capsys.readouterr()
        status, megabytes = _refused_in_time(lambda command=command: pingyi(*command))
        said = capsys.readouterr().err
        assert status == 1, command
        assert message in said, (command, said)
        assert megabytes < MEGABYTES, (command, f"{megabytes:.0f} MB")
    assert _stored() == before
