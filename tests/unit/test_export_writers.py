"""The export writers on their own: CSV dialect and formula injection, typed XLSX cells, safe archive names,
the streaming ZIP and the S3 multipart writer. Names and text values are fuzzed with hypothesis."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.accounts.models import Account
from chalicelib.accounts.service import AccountPartition
from chalicelib.attributes.models import Attribute
from chalicelib.customers.models import Customer
from chalicelib.exports.csv_writer import csv_cell, decimal_comma, neutralise, write_csv
from chalicelib.exports.dossier import ArchivedFile, Dossier, safe_part, unique_file_names
from chalicelib.exports.table import FORMULA_TRIGGERS, Column, CustomerTable, unique_names
from chalicelib.exports.xlsx_writer import write_xlsx
from chalicelib.exports.zip_writer import write_archive
from chalicelib.files.models import StoredFile
from chalicelib.groups.models import Group
from chalicelib.storage.objects import ObjectMissingError

TRIGGERS = sorted(FORMULA_TRIGGERS)
NUMBER = re.compile(r"^-?\d+(,\d+)?$")
#: What stored text may hold: anything but control characters other than tab and line breaks (attributes/values).
_TEXT_CHARACTERS = st.characters(blacklist_categories=("Cs",),
                                 blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\r\n"))
plain_text = st.text(_TEXT_CHARACTERS, max_size=40)
#: Text biased towards what spreadsheets take for formulas.
risky_text = st.one_of(plain_text, st.builds(lambda trigger, rest: trigger + rest, st.sampled_from(TRIGGERS),
                                             plain_text))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_csv(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def excel_text(value: str) -> str:
    """A string cell as Excel shows it: XlsxWriter escapes characters XML cannot hold as `_xHHHH_`."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


# --- CSV ---


@given(risky_text)
def test_no_csv_text_cell_can_start_a_formula(text: str) -> None:
    cell = csv_cell(text)
    if text and text[0] in FORMULA_TRIGGERS:
        assert cell == "'" + text
    else:
        assert cell == text
    assert not cell or cell[0] not in FORMULA_TRIGGERS


@FUZZ
@given(headers=st.lists(risky_text, min_size=1, max_size=4),
       rows=st.lists(st.lists(risky_text, min_size=4, max_size=4), max_size=5))
def test_fuzzed_names_and_values_read_back_neutralised_from_the_csv(tmp_path, headers, rows) -> None:
    columns = [Column(header, "text") for header in headers]
    rows = [row[:len(headers)] for row in rows]
    path = tmp_path / "fuzz.csv"

    assert write_csv(str(path), columns, rows) == len(rows)

    read = read_csv(path)
    assert read[0] == [neutralise(h) for h in headers]
    assert read[1:] == [[neutralise(value) for value in row] for row in rows]
    for row in read:
        for cell in row:
            assert not cell or cell[0] not in FORMULA_TRIGGERS, cell


@given(st.one_of(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
                 st.decimals(min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=6,
                             allow_nan=False, allow_infinity=False).map(float)))
def test_numbers_use_a_decimal_comma_and_only_digits(number) -> None:
    text = csv_cell(number)
    assert NUMBER.match(text), text
    assert float(text.replace(",", ".")) == float(number)


def test_typed_csv_cells_are_what_german_excel_reads() -> None:
    assert csv_cell(True) == "WAHR" and csv_cell(False) == "FALSCH"
    assert csv_cell(None) == ""
    assert csv_cell(0.1) == "0,1" and csv_cell(1e-05) == "0,00001" and decimal_comma(-12.5) == "-12,5"
    assert csv_cell(datetime.date(2024, 2, 29)) == "2024-02-29"
    assert csv_cell(datetime.datetime(2024, 2, 29, 13, 5, 9, 123000)) == "2024-02-29 13:05:09"
    assert csv_cell(float("nan")) == ""


def test_the_csv_dialect_quotes_only_where_needed(tmp_path) -> None:
    path = tmp_path / "dialect.csv"
    write_csv(str(path), [Column("a", "text"), Column("b", "text")], [["x;y", 'sagt "hallo"'], ["zwei\nZeilen", 1]])
    raw = path.read_bytes()
    assert raw == ('\ufeffa;b\r\n"x;y";"sagt ""hallo"""\r\n"zwei\nZeilen";1\r\n').encode()


# --- XLSX ---


@FUZZ
@given(headers=st.lists(risky_text.filter(bool), min_size=1, max_size=3),
       rows=st.lists(st.lists(risky_text, min_size=3, max_size=3), max_size=4))
def test_fuzzed_text_is_always_a_string_cell_never_a_formula(tmp_path, headers, rows) -> None:
    columns = [Column(header, "text") for header in headers]
    rows = [row[:len(headers)] for row in rows]
    path = tmp_path / "fuzz.xlsx"

    assert write_xlsx(str(path), columns, rows) == len(rows)

    sheet = openpyxl.load_workbook(path)["Kunden"]
    assert [excel_text(cell.value) for cell in sheet[1]] == headers
    for row_number, row in enumerate(rows, start=2):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row_number, column_number)
            if value == "":
                assert cell.value is None
                continue
            assert cell.data_type == "s", (value, cell.data_type)
            assert excel_text(cell.value) == value
            assert cell.quotePrefix == (value[0] in FORMULA_TRIGGERS)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_typed_values_become_typed_xlsx_cells(tmp_path) -> None:
    columns = [Column("n", "integer"), Column("d", "decimal"), Column("b", "boolean"), Column("t", "date"),
               Column("m", "datetime"), Column("s", "text")]
    moment = datetime.datetime(2024, 2, 29, 13, 5, 9)
    path = tmp_path / "typed.xlsx"
    write_xlsx(str(path), columns, [[7, -0.5, False, datetime.date(2024, 2, 29), moment, "007"]])

    sheet = openpyxl.load_workbook(path)["Kunden"]
    n, d, b, t, m, s = sheet[2]
    assert (n.value, n.data_type) == (7, "n") and (d.value, d.data_type) == (-0.5, "n")
    assert (b.value, b.data_type) == (False, "b")
    assert t.is_date and t.value == datetime.datetime(2024, 2, 29) and t.number_format == "mm-dd-yy"
    assert m.is_date and m.value == moment
    assert (s.value, s.data_type) == ("007", "s"), "text that looks like a number stays text"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F2"


# --- table contents ---


def partition_with(*attributes: Attribute) -> AccountPartition:
    account = Account(id="acc", name="A", created_at="2024-01-01T00:00:00.000Z", updated_at="2024-01-01T00:00:00.000Z")
    group = Group(id="g1", name="VIP", created_at="x", updated_at="x")
    return AccountPartition(account=account, groups={"g1": group}, attributes={a.id: a for a in attributes})


def attribute(id_: str, name: str, kind: str, scope: str = "customer", created: str = "2024-01-01") -> Attribute:
    return Attribute(id=id_, scope=scope, name=name, type=kind, created_at=created, updated_at=created)


def test_a_row_holds_typed_values_and_falls_back_to_text_for_values_that_do_not_fit() -> None:
    table = CustomerTable(partition_with(
        attribute("a1", "Kinder", "number", created="2024-01-01"),
        attribute("a2", "Geburtstag", "date", created="2024-01-02"),
        attribute("a3", "Ausweis", "file", created="2024-01-03"),
        attribute("a4", "Kinder", "decimal", created="2024-01-04"),
        attribute("a5", "Projekt", "text", scope="request"),
    ))
    assert [c.header for c in table.columns][-3:] == ["Geburtstag", "Ausweis", "Kinder (2)"]
    customer = Customer(id="c1", number=4, name="Anna", status="partial", groups=["g1", "gone"],
                        created_at="2024-03-01T10:00:00.000Z", updated_at="2024-03-02T10:00:00.000Z",
                        area_counts={"a3": 2}, attributes={"a1": "drei", "a2": "2024-02-30", "a4": 2.5, "a5": "x"})
    row = table.row(customer)
    assert row[:8] == [4, "Anna", None, None, None, "Teilweise", "VIP", None]
    assert row[8] == datetime.datetime(2024, 3, 1, 10) and row[12] is None
    assert row[13:] == ["drei", "2024-02-30", 2, 2.5]
    assert list(table.rows([customer, customer.model_copy(update={"closing": "delete"})])) == [row]


@given(st.lists(risky_text, max_size=8))
def test_unique_names_are_unique_whatever_the_case(names) -> None:
    result = unique_names(names, taken=["Name"])
    folded = [name.casefold() for name in result]
    assert len(set(folded)) == len(folded) and "name" not in folded
    assert all(r == n or r.startswith(n + " (") for r, n in zip(result, names, strict=True))


# --- archive names and the ZIP ---


@given(st.text(max_size=300))
def test_archive_path_parts_are_safe_on_every_system(name: str) -> None:
    part = safe_part(name)
    assert part and len(part) <= 120
    assert not any(c in part for c in '/\\:*?"<>|') and not part.startswith(".")
    assert not part.endswith((".", " "))
    assert not re.match(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", part, re.IGNORECASE)
    assert all(ord(c) >= 32 for c in part)


@given(st.lists(st.sampled_from(["a.pdf", "A.PDF", "a (2).pdf", "b", "B", ".pdf"]), max_size=8))
def test_file_names_in_a_folder_are_made_unique(names) -> None:
    result = unique_file_names(names)
    assert len({n.casefold() for n in result}) == len(result)


def stored(file_id: str, filename: str, content_type: str = "application/pdf", size: int = 3) -> StoredFile:
    return StoredFile(id=file_id, customer_id="c", key=f"k/{file_id}", area="general", filename=filename, size=size,
                      content_type=content_type, direction="received", state="stored", actor="customer",
                      uploaded_at="2024-03-01T10:00:00.000Z")


def test_the_zip_streams_every_file_and_records_one_that_vanished() -> None:
    files = [stored("f1", "a.pdf"), stored("f2", "b.txt", "text/plain", size=6000), stored("f3", "gone.pdf")]
    dossier = Dossier(document={"exported_at": "2024-03-02T00:00:00.000Z",
                                "files": [{"id": f.id, "path": f"files/x/{f.filename}"} for f in files]},
                      archived=[ArchivedFile(f"files/x/{f.filename}", f) for f in files])
    bodies = {"f1": [b"%PD", b"F"], "f2": [b"text\n" * 600, b"more"]}

    def read(file):
        if file.id not in bodies:
            raise ObjectMissingError(file.key)
        yield from bodies[file.id]

    class NotSeekable(io.RawIOBase):  # what an S3 multipart upload looks like to zipfile
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.data += b
            return len(b)

        def tell(self) -> int:
            return len(self.data)

    target = NotSeekable()
    assert write_archive(target, dossier, read) == 2

    archive = zipfile.ZipFile(io.BytesIO(bytes(target.data)))
    assert archive.testzip() is None
    assert archive.namelist() == ["files/x/a.pdf", "files/x/b.txt", "customer.json"]
    assert archive.read("files/x/a.pdf") == b"%PDF" and archive.read("files/x/b.txt") == b"text\n" * 600 + b"more"
    assert archive.getinfo("files/x/a.pdf").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("files/x/b.txt").compress_type == zipfile.ZIP_DEFLATED
    document = json.loads(archive.read("customer.json"))
    assert [f["path"] for f in document["files"]] == ["files/x/a.pdf", "files/x/b.txt", None]


# --- the S3 multipart writer ---


def test_the_multipart_writer_uploads_parts_as_it_goes_and_completes_at_the_end(aws) -> None:
    import boto3

    from chalicelib.settings import get_settings
    from chalicelib.storage.streams import MultipartWriter

    s3, bucket = boto3.client("s3"), get_settings().exports_bucket
    chunk = bytes(range(256)) * 4096  # 1 MiB
    with MultipartWriter(bucket, "unit/multipart.bin", "application/octet-stream", part_size=5 * 1024 * 1024) as out:
        for _ in range(12):
            out.write(chunk)
        assert len(out._parts) == 2, "parts leave memory as soon as they are full"
        assert s3.list_objects_v2(Bucket=bucket, Prefix="unit/").get("KeyCount") == 0, "nothing visible yet"
    body = s3.get_object(Bucket=bucket, Key="unit/multipart.bin")["Body"].read()
    assert body == chunk * 12 and out.size == len(body)


def test_a_multipart_writer_left_by_an_exception_leaves_nothing(aws) -> None:
    import boto3

    from chalicelib.settings import get_settings
    from chalicelib.storage.streams import MultipartWriter

    s3, bucket = boto3.client("s3"), get_settings().exports_bucket
    with pytest.raises(RuntimeError), MultipartWriter(bucket, "unit/broken.bin", "application/octet-stream") as out:
        out.write(b"x" * (9 * 1024 * 1024))
        raise RuntimeError("the source failed")
    assert s3.list_objects_v2(Bucket=bucket, Prefix="unit/broken").get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix="unit/broken").get("Uploads", []) == []
