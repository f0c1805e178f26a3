#!/usr/bin/env python3
"""Writes the hand-made seeds of the `workbook` fuzz target into seeds/workbook/.

- deals.xlsb: a minimal Excel binary workbook (no other tool here writes .xlsb),
  one sheet `Deals` with the target's headers and a cell of each record type;
- deals_stored.xlsx: tests/fixtures/data/deals.xlsx re-zipped without compression,
  so mutations reach the XML instead of a deflate stream;
- deals_stored.ods: tests/fixtures/data/deals.ods re-zipped the same way;
- repeats.ods: a hand-written OpenDocument sheet of repeated rows and columns (the
  shape of the 889-byte file that once asked for 4 GiB), a hidden sheet, a formula
  without a result, spaces and paragraphs in text;
- shared_strings.xlsx: a workbook whose shared-string table holds empty strings,
  rich text and strings no cell uses, and cells that reference them.

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


def stored_ods() -> None:
    source = REPO / "tests" / "fixtures" / "data" / "deals.ods"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(
        OUT / "deals_stored.ods", "w", zipfile.ZIP_STORED
    ) as dst:
        for info in src.infolist():
            if not info.filename.startswith("Thumbnails"):
                write(dst, info.filename, src.read(info.filename))


HEADERS = ["deal_id", "channel", "Deal Amount", "created", "won", "note", "status"]


def repeats_ods() -> None:
    def text(t: str, repeat: int = 1) -> str:
        r = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
        return f'<table:table-cell office:value-type="string"{r}><text:p>{t}</text:p></table:table-cell>'

    header = "".join(text(h) for h in HEADERS)
    row = (
        '<table:table-cell office:value-type="string"><text:p>D<text:s text:c="2"/>1</text:p>'
        "<text:p>x</text:p></table:table-cell>"
        + text("Partner")
        + '<table:table-cell office:value-type="float" office:value="12.5"/>'
        + '<table:table-cell office:value-type="date" office:date-value="2026-01-31"/>'
        + '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>'
        + '<table:table-cell table:formula="of:=1+1"/>'
        + '<table:table-cell office:value-type="time" office:time-value="PT36H"/>'
        + '<table:table-cell table:number-columns-repeated="16377"/>'
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">'
        '<office:automatic-styles><style:style style:name="ta2" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
        '<office:body><office:spreadsheet>'
        f'<table:table table:name="Deals"><table:table-row>{header}</table:table-row>'
        f'<table:table-row table:number-rows-repeated="3">{row}</table:table-row>'
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row></table:table>'
        f'<table:table table:name="Backup" table:style-name="ta2"><table:table-row>{header}'
        "</table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(OUT / "repeats.ods", "w", zipfile.ZIP_STORED) as z:
        write(z, "mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        write(z, "content.xml", content)


def shared_strings_xlsx() -> None:
    strings = HEADERS + ["D-1", "Partner", "", "<r><t>rich </t></r><r><t>text</t></r>", "unused"]
    sst = "".join(
        f"<si>{s}</si>" if s.startswith("<r>") else (f"<si><t>{s}</t></si>" if s else "<si/>")
        for s in strings
    )
    sst = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}<si/><si/><si/></sst>'
    )
    cols = "ABCDEFG"
    header = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate(cols))
    data = (
        '<c r="A2" t="s"><v>7</v></c><c r="B2" t="s"><v>8</v></c><c r="C2"><v>5</v></c>'
        '<c r="D2"><v>46037</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="s"><v>10</v></c>'
        '<c r="G2" t="s"><v>9</v></c>'
    )
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{header}</row><row r="2">{data}</row>'
        '<row><c t="s"><v>7</v></c><c><f>1+1</f><v/></c></row></sheetData></worksheet>'
    )
    ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships {ns}><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{rel}"><sheets><sheet name="Deals" sheetId="1" r:id="rId1"/>'
        '<sheet name="Old" sheetId="2" state="hidden" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships {ns}><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": sst,
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(OUT / "shared_strings.xlsx", "w", zipfile.ZIP_STORED) as z:
        for name, text in parts.items():
            write(z, name, text)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    xlsb()
    stored_xlsx()
    stored_ods()
    repeats_ods()
    shared_strings_xlsx()
