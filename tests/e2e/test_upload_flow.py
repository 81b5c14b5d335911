"""The upload path on the real local stack: HTTP API → presigned POST to moto's server → S3 event → SQS →
the pump → the handler Lambda runs. The file must show within 5 seconds."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def staff(local_stack, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(method, f"{local_stack.api_url}{path}", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {local_stack.admin_token}"})


def test_a_browser_style_upload_is_recorded_within_five_seconds(local_stack) -> None:
    customer = staff(local_stack, "POST", "/customers", {"name": "E2E Kunde"}).json()
    link = staff(local_stack, "POST", f"/customers/{customer['id']}/links", {}).json()
    token = link["url"].rsplit("/p/", 1)[1]
    content = b"%PDF-1.7 e2e upload"
    presigned = requests.post(f"{local_stack.api_url}/p/{token}/uploads", timeout=10, json={
        "filename": "e2e.pdf", "size": len(content), "content_type": "application/pdf"}).json()
    assert presigned["url"].startswith(f"http://127.0.0.1:{local_stack.moto_port}/")
    posted = requests.post(presigned["url"], data=presigned["fields"],
                           files={"file": ("e2e.pdf", content, "application/pdf")}, timeout=10)
    assert posted.status_code == 204

    deadline = time.monotonic() + 5
    files: list[dict] = []
    while time.monotonic() < deadline and not files:
        files = staff(local_stack, "GET", f"/customers/{customer['id']}/files").json()["items"]
        if not files:
            time.sleep(0.2)
    assert [f["id"] for f in files] == [presigned["file_id"]], "the file did not show within 5 seconds"
    after = staff(local_stack, "GET", f"/customers/{customer['id']}").json()
    assert after["status"] == "partial" and after["bytes"] == len(content)
    download = staff(local_stack, "GET", f"/customers/{customer['id']}/files/{presigned['file_id']}").json()
    assert requests.get(download["download_url"], timeout=10).content == content
