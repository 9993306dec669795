"""The exams export: CSV and XLSX hold exactly the filtered list, in its order, read back from
the files; CSV streams, XLSX comes from a temporary file; units in the headers, patients by
their pseudonymised key only; the user's units and the permission apply."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from exam_data import build
from openpyxl import load_workbook

from kerma.web.accounts.roles import RADIOGRAPHER
from kerma.web.dose import exports
from kerma.web.dose.models import Exam
from users import perms_user, role_user

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at")]


@pytest.fixture
def data() -> dict[str, object]:
    return build()


@pytest.fixture
def north_client(client, data):
    client.force_login(role_user("north-rad", RADIOGRAPHER, [data["north"]]))
    return client


def list_ids(client, params: dict) -> list[int]:
    """The ids of the filtered list, every page, in order (following the next links)."""
    ids, cursor = [], None
    while True:
        query = {**params, **({"after": cursor} if cursor else {})}
        response = client.get(reverse("exam_list"), query)
        assert response.status_code == 200
        page = response.context["page"]
        ids += [e.pk for e in page.exams]
        if not page.has_next:
            return ids
        cursor = page.next_cursor


def csv_rows(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:]), delimiter=";"))


def xlsx_rows(response) -> tuple[list[str], list[list[object]], list[str]]:
    assert isinstance(response, FileResponse) and response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    names = [sheet.title for sheet in book.worksheets]
    header = [str(h) for h in rows[0]]
    return header, [r for r in rows if [str(h) for h in r] != header], names


def _more(device, n: int) -> None:
    Exam.objects.bulk_create(
        Exam(study_uid=f"7.{i}", modality="DX", device=device, procedure="GENOU",
             study_date=date(2023, 5, 1) + timedelta(days=i // 3), study_time="090000",
             dap_total_gycm2=0.05 + i / 1000, age_years=30.0, sex="M")
        for i in range(n)
    )  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"modality": "DX", "include_tests": "on"},
        {"sex": "F", "age_min": "18"},
        {"dap_min": "0.06", "dap_max": "0.1"},
        {"act": "CT-TAP"},
        {"modality": "MG"},
    ],
)
def test_csv_is_the_filtered_list(north_client, data, params):
    _more(data["dx"], 120)
    expected = list_ids(north_client, params)
    response = north_client.get(reverse("exam_list"), {**params, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="kerma-exams-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [int(r["id"]) for r in rows] == expected


def test_xlsx_is_the_filtered_list(north_client, data):
    _more(data["dx"], 120)
    params = {"modality": "DX", "dap_max": "0.1"}
    expected = list_ids(north_client, params)
    assert len(expected) > 50  # more than a page
    response = north_client.get(reverse("exam_list"), {**params, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kerma-exams-')
    header, rows, _names = xlsx_rows(response)
    assert [row[header.index("id")] for row in rows] == expected
    dates = [row[header.index("study_date")] for row in rows]
    assert all(d is None or d.date() <= date(2024, 3, 4) for d in dates)  # real dates
    assert rows[0][header.index("totals.dap_total_gycm2 (Gy·cm²)")] == 0.1  # dx1 first


def test_columns_have_units_and_only_the_pseudonymised_patient(north_client, data):
    response = north_client.get(reverse("exam_list"), {"modality": "CT", "export": "csv"})
    rows = csv_rows(response)
    assert [r["study_uid"] for r in rows] == ["1.2.250.ct2", "1.2.250.ct1"]
    ct1 = rows[1]
    assert ct1["totals.dlp_total_mgycm (mGy·cm)"] == "500.0"
    assert ct1["totals.ctdivol_max_mgy (mGy)"] == "10.0"
    assert ct1["totals.dap_total_gycm2 (Gy·cm²)"] == ""  # every total has its column
    assert ct1["patient.age_years (years)"] == "17.9"
    assert ct1["patient.weight_kg (kg)"] == "60.0" and ct1["patient.height_m (m)"] == "1.6"
    assert ct1["patient.bmi (kg/m²)"] == "23.4"
    assert ct1["patient.key"] == "ct1".rjust(64, "0")
    assert ct1["study_time"] == "101500" and ct1["is_test"] == "0"
    assert ct1["main_dose"] == "500.0 mGy·cm"
    text = ";".join(f"{k}={v}" for r in rows for k, v in r.items())
    assert "PID-" not in text and "DOE^" not in text  # the identity the site stored
    assert not any("patient_id" in k or "patient_name" in k for k in rows[0])


def test_csv_streams_in_chunks(north_client, data, monkeypatch):
    _more(data["dx"], 57)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)
    monkeypatch.setattr(exports, "LINES_PER_BATCH", 5)
    response = north_client.get(reverse("exam_list"), {"device": data["dx"].pk, "export": "csv"})
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 12  # the header, then 59 lines in batches of 5
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode()[1:]), delimiter=";"))
    ids = [int(r["id"]) for r in rows]
    assert ids == list_ids(north_client, {"device": data["dx"].pk})
    assert len(set(ids)) == 59


def test_export_reads_lazily(data):
    """The CSV is produced as it is read: the first lines come before the last exams exist."""
    _more(data["dx"], 10)
    stream = exports.iter_csv(Exam.objects.filter(device=data["dx"]))
    header = next(stream)
    assert header.startswith("\ufeffid;".encode())
    Exam.objects.filter(study_uid__startswith="7.").delete()  # nothing read yet: none listed
    rows = csv.DictReader(
        io.StringIO(b"".join(stream).decode()), fieldnames=header_keys(), delimiter=";"
    )
    assert {r["study_uid"] for r in rows} == {"1.2.250.dx1", "1.2.250.dx2", "1.2.250.test"}


def header_keys() -> list[str]:
    return exports.export_headers(exports.export_columns())


def test_xlsx_continues_on_another_sheet(north_client, data, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_ROWS_PER_SHEET", 3)
    response = north_client.get(reverse("exam_list"), {"export": "xlsx"})
    header, rows, names = xlsx_rows(response)
    assert names == ["Exams", "Exams 2", "Exams 3"]
    assert len(rows) == 7
    assert "totals.activity_mbq (MBq)" in header


def test_empty_export_has_its_header(north_client, data):
    response = north_client.get(reverse("exam_list"), {"protocol": "nothing", "export": "csv"})
    assert csv_rows(response) == []
    header, rows, _names = xlsx_rows(
        north_client.get(reverse("exam_list"), {"protocol": "nothing", "export": "xlsx"})
    )
    assert rows == [] and header[0] == "id"


def test_export_of_an_invalid_form_is_refused(north_client, data):
    response = north_client.get(reverse("exam_list"), {"dlp_min": "abc", "export": "csv"})
    assert response.status_code == 400
    assert "dlp_min" in response.context["form"].errors


def test_export_keeps_to_the_users_units(client, data):
    client.force_login(role_user("south-rad", RADIOGRAPHER, [data["south"]]))
    rows = csv_rows(client.get(reverse("exam_list"), {"export": "csv"}))
    assert [r["study_uid"] for r in rows] == ["1.2.250.south"]


def test_export_needs_view_exam(client, data):
    client.force_login(perms_user("nobody", ["dose.view_device"], [data["north"]]))
    for kind in ("csv", "xlsx"):
        assert client.get(reverse("exam_list"), {"export": kind}).status_code == 403
