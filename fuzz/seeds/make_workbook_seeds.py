#!/usr/bin/env python3
"""Writes the hand-made seeds of the `workbook` fuzz target into seeds/workbook/.

- deals.xlsb: a minimal Excel binary workbook (no other tool here writes .xlsb),
  one sheet `Deals` with the target's headers and a cell of each record type;
- deals_stored.xlsx: tests/fixtures/data/deals.xlsx re-zipped without compression,
  so mutations reach the XML instead of a deflate stream.

Run from the repository root: python3 fuzz/seeds/make_workbook_seeds.py
"""
import struct
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "workbook"
REPO = Path(__file__).resolve().parents[2]


def record(typ: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: variable-length type and size, then the body."""
    if typ < 0x80:
        head = bytes([typ])
    else:
        head = bytes([(typ & 0x7F) | 0x80, typ >> 7])
    size, n = b"", len(body)
    while True:
        byte = n & 0x7F
        n >>= 7
        size += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return head + size + body


def wide(text: str) -> bytes:
    """XLWideString: character count, then UTF-16LE."""
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def cell(col: int, style: int = 0) -> bytes:
    return struct.pack("<II", col, style)


def xlsb() -> bytes:
    workbook = b"".join([
        record(0x83),  # BrtBeginBook
        record(0x8F),  # BrtBeginBundleShs
        record(0x9C, struct.pack("<II", 0, 1) + wide("rId1") + wide("Deals")),
        record(0x90),  # BrtEndBundleShs
        record(0x9D, bytes(26)),  # BrtCalcProp ends the defined names
        record(0x84),  # BrtEndBook
    ])
    styles = b"".join([
        record(0x267, struct.pack("<I", 0)),  # BrtBeginFmts: none custom
        record(0x269, struct.pack("<I", 2)),  # BrtBeginCellXFs: two
        record(0x2F, struct.pack("<HH", 0, 0) + bytes(12)),   # General
        record(0x2F, struct.pack("<HH", 0, 14) + bytes(12)),  # a date format
        record(0x26A),
    ])
    strings = b"".join([
        record(0x9F, struct.pack("<II", 2, 2)),  # BrtBeginSst
        record(0x13, b"\x00" + wide("Partner")),
        record(0x13, b"\x00" + wide("first deal")),
        record(0xA0),
    ])
    rows = []
    headers = ["deal_id", "channel", "Deal Amount", "created", "won", "note", "status"]
    rows.append(record(0x00, struct.pack("<I", 0) + bytes(13)))
    for col, name in enumerate(headers):
        rows.append(record(0x06, cell(col) + wide(name)))  # BrtCellSt
    # Row 2: text id, shared string, real, date (styled), bool, shared string, error.
    rows.append(record(0x00, struct.pack("<I", 1) + bytes(13)))
    rows += [
        record(0x06, cell(0) + wide("D-1")),
        record(0x07, cell(1) + struct.pack("<I", 0)),
        record(0x05, cell(2) + struct.pack("<d", 1234.5)),
        record(0x05, cell(3, 1) + struct.pack("<d", 46037.0)),
        record(0x04, cell(4) + b"\x01"),
        record(0x07, cell(5) + struct.pack("<I", 1)),
        record(0x03, cell(6) + b"\x07"),  # #DIV/0!
    ]
    # Row 3: integer RK id, text, RK x100 amount, RK integer date, bool, blank, text.
    rows.append(record(0x00, struct.pack("<I", 2) + bytes(13)))
    rows += [
        record(0x02, cell(0) + struct.pack("<i", (1002 << 2) | 2)),
        record(0x06, cell(1) + wide("Direct")),
        record(0x02, cell(2) + struct.pack("<i", (99950 << 2) | 3)),
        record(0x02, cell(3, 1) + struct.pack("<i", (46040 << 2) | 2)),
        record(0x04, cell(4) + b"\x00"),
        record(0x01, cell(5)),  # BrtCellBlank
        record(0x06, cell(6) + wide("open")),
    ]
    sheet = b"".join([
        record(0x81),  # BrtBeginSheet
        record(0x94, struct.pack("<IIII", 0, 2, 0, 6)),  # BrtWsDim
        record(0x91),  # BrtBeginSheetData
        *rows,
        record(0x92),  # BrtEndSheetData
        record(0x82),  # BrtEndSheet
    ])
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>'
    )
    path = OUT / "deals.xlsb"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        write(z, "xl/workbook.bin", workbook)
        write(z, "xl/_rels/workbook.bin.rels", rels)
        write(z, "xl/styles.bin", styles)
        write(z, "xl/sharedStrings.bin", strings)
        write(z, "xl/worksheets/sheet1.bin", sheet)
    return path.read_bytes()


def write(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    """A stored entry with a fixed date, so the seeds are the same bytes every time."""
    z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)


def stored_xlsx() -> None:
    source = REPO / "tests" / "fixtures" / "data" / "deals.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(
        OUT / "deals_stored.xlsx", "w", zipfile.ZIP_STORED
    ) as dst:
        for info in src.infolist():
            write(dst, info.filename, src.read(info.filename))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    xlsb()
    stored_xlsx()
