"""What every workbook the platform writes must be: a sound file, and one a real spreadsheet
program opens (LibreOffice converts it to PDF, as the office would print it)."""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

SOFFICE_PACKAGES = "apt-get install -y --no-install-recommends libreoffice-calc fonts-wqy-microhei"


def assert_sound_and_opened_by_libreoffice(content: bytes, tmp_path: Path, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        parts = {part: ElementTree.fromstring(archive.read(part)) for part in names
                 if part.endswith((".xml", ".rels"))}
        assert "xl/workbook.xml" in parts and "[Content_Types].xml" in parts
    for part, tree in parts.items():
        if not part.endswith(".rels"):
            continue
        folder = posixpath.dirname(posixpath.dirname(part))  # xl/_rels/workbook.xml.rels → xl
        for relationship in tree:
            if relationship.get("TargetMode") == "External":
                continue
            target = relationship.get("Target")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            assert path in names, f"{part} points to a missing {path}"
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook:
        ranges = list(sheet.merged_cells.ranges)
        for position, first in enumerate(ranges):
            assert all(first.isdisjoint(other) for other in ranges[position + 1:]), f"{sheet.title}: {first}"

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI opens the workbook with LibreOffice, and soffice is missing: {SOFFICE_PACKAGES}")
        pytest.skip(f"LibreOffice is not installed, the workbook was not opened by a real client: {SOFFICE_PACKAGES}")
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(content)
    # A profile of its own: another soffice running on the machine would otherwise hold the lock.
    result = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180)
    pdf = tmp_path / f"{name}.pdf"
    # soffice exits 0 even when it fails: the PDF and a clean stderr are the verdict.
    assert "Error:" not in result.stderr, result.stderr
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), (result.stdout, result.stderr)
