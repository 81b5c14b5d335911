"""Exports on the real local stack: the API queues the job, the jobs pump runs it, the URL downloads it."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import pytest
import requests

pytestmark = pytest.mark.e2e


def _finished(local_stack, export_id: str, headers: dict[str, str], timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{local_stack.api_url}/exports/{export_id}", headers=headers, timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"export {export_id} did not finish in {timeout} s")


def test_an_export_requested_over_http_is_run_by_the_local_pump(local_stack) -> None:
    headers = {"Authorization": f"Bearer {local_stack.admin_token}"}
    reply = requests.post(f"{local_stack.api_url}/exports", json={"format": "csv"}, headers=headers, timeout=10)
    assert reply.status_code == 202, reply.text

    job = _finished(local_stack, reply.json()["id"], headers)

    assert job["status"] == "done", job
    download = requests.get(job["download_url"], timeout=10)
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:2] == ["Kundennummer", "Name"] and len(rows) == job["rows"] + 1 >= 2


def test_a_customer_archive_is_run_by_the_local_pump(local_stack) -> None:
    headers = {"Authorization": f"Bearer {local_stack.admin_token}"}
    customer = requests.get(f"{local_stack.api_url}/customers?limit=1", headers=headers, timeout=10).json()["items"][0]
    reply = requests.post(f"{local_stack.api_url}/customers/{customer['id']}/export", headers=headers, timeout=10)
    assert reply.status_code == 202, reply.text

    job = _finished(local_stack, reply.json()["id"], headers)

    assert job["status"] == "done", job
    archive = zipfile.ZipFile(io.BytesIO(requests.get(job["download_url"], timeout=10).content))
    assert "customer.json" in archive.namelist()
