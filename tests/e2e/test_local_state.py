"""`make run` keeps its data: what one run created is there after a restart, queued events are applied exactly
once, `FRESH=1` starts empty; the helpers find the stack by its state folder; the outbox shows sent mail."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from chalicelib.portal.page import content_security_policy
from tests.e2e.conftest import ROOT, start_stack
from tests.support.local_stack import Staff, helper, portal_upload, wait_for

pytestmark = pytest.mark.e2e


def _files(staff: Staff, customer_id: str) -> list[dict]:
    return staff.call("GET", f"/customers/{customer_id}/files", expect=200)["items"]


def test_data_survives_restarts_and_an_event_queued_at_stop_is_applied_exactly_once(tmp_path: Path) -> None:
    content = b"%PDF-1.7 kept across restarts"
    # First run: the pumps are paused, so the upload's S3 event is still queued when the stack stops.
    first = start_stack(state_dir=tmp_path, extra_env={"LOCAL_PAUSE_PUMPS": "1"})
    try:
        staff = Staff(first.api_url, first.admin_token)
        customer = staff.call("POST", "/customers", {"name": "Bleibt Erhalten", "email": "bleibt@example.com"},
                              expect=201)
        link = staff.call("POST", f"/customers/{customer['id']}/links", {"areas": ["general"]}, expect=201)
        file_id = portal_upload(first.api_url, link["url"], content)
        assert _files(staff, customer["id"]) == [], "the pumps are paused: the event waits in the queue"
        before = staff.call("GET", "/account", expect=200)
    finally:
        assert first.stop() == 0
    assert (tmp_path / "snapshot.pickle").exists() and not (tmp_path / "stack.json").exists()

    # The same ports, as `make run` uses: the stored links and mails name them.
    second = start_stack(state_dir=tmp_path, ports=(first.moto_port, first.api_port))
    try:
        assert any("restored from the last run" in line for line in second.output), second.output
        staff = Staff(second.api_url, second.admin_token)
        assert staff.call("GET", f"/customers/{customer['id']}", expect=200)["name"] == "Bleibt Erhalten"
        files = wait_for(lambda: _files(staff, customer["id"]), what="the queued upload event")
        assert [f["id"] for f in files] == [file_id]
        wait_for(lambda: staff.call("GET", f"/customers/{customer['id']}")["bytes"] == len(content),
                 what="the customer's bytes")
        download = staff.call("GET", f"/customers/{customer['id']}/files/{file_id}", expect=200)
        assert requests.get(download["download_url"], timeout=10).content == content, "the object's bytes"
        assert requests.get(link["url"], timeout=10).status_code == 200, "the link still opens"
        account = staff.call("GET", "/account", expect=200)
        assert account["used_bytes"] == before["used_bytes"] + len(content)
    finally:
        assert second.stop() == 0

    third = start_stack(state_dir=tmp_path, ports=(first.moto_port, first.api_port))
    try:
        staff = Staff(third.api_url, third.admin_token)
        after = staff.call("GET", f"/customers/{customer['id']}", expect=200)
        assert (after["status"], after["files_count"], after["bytes"]) == ("partial", 1, len(content))
        assert staff.call("GET", "/account", expect=200)["used_bytes"] == account["used_bytes"], "applied once"
        history = staff.call("GET", f"/customers/{customer['id']}/activity", expect=200)["items"]
        assert len([entry for entry in history if file_id in str(entry)]) == 1, history
        download = staff.call("GET", f"/customers/{customer['id']}/files/{file_id}", expect=200)
        head = requests.get(download["download_url"], timeout=10)
        assert (head.content, head.headers["Content-Type"]) == (content, "application/pdf")
        customers = staff.call("GET", "/customers", expect=200)["items"]
        assert sorted(c["name"] for c in customers) == ["Bleibt Erhalten", "Erika Mustermann"], "no second demo"
    finally:
        assert third.stop() == 0


def test_a_crash_loses_only_what_came_after_the_last_periodic_save(tmp_path: Path) -> None:
    first = start_stack(state_dir=tmp_path, extra_env={"LOCAL_SAVE_SECONDS": "1"})
    try:
        staff = Staff(first.api_url, first.admin_token)
        customer = staff.call("POST", "/customers", {"name": "Vor dem Absturz"}, expect=201)
        snapshot = tmp_path / "snapshot.pickle"
        wait_for(lambda: snapshot.exists() and b"Vor dem Absturz" in snapshot.read_bytes(), seconds=10,
                 what="a periodic save")
    finally:
        first.process.kill()  # no Ctrl-C: nothing is saved at the end
        first.process.wait(timeout=30)
    second = start_stack(state_dir=tmp_path, ports=(first.moto_port, first.api_port))
    try:
        staff = Staff(second.api_url, second.admin_token)
        assert staff.call("GET", f"/customers/{customer['id']}", expect=200)["name"] == "Vor dem Absturz"
    finally:
        assert second.stop() == 0


def test_fresh_starts_empty(tmp_path: Path) -> None:
    first = start_stack(state_dir=tmp_path)
    try:
        Staff(first.api_url, first.admin_token).call("POST", "/customers", {"name": "Vergessen"}, expect=201)
    finally:
        first.stop()
    moved = start_stack(state_dir=tmp_path)  # other ports
    try:
        portal = next(line for line in moved.output if line.startswith("portal:"))
        assert portal.split()[1].startswith(f"{moved.api_url}/p/"), "the demo's link on this run's origin"
        assert requests.get(portal.split()[1], timeout=10).status_code == 200
    finally:
        moved.stop()
    fresh = start_stack(state_dir=tmp_path, arguments=("--fresh",))
    try:
        assert any("started empty" in line for line in fresh.output)
        names = [c["name"] for c in Staff(fresh.api_url, fresh.admin_token).call("GET", "/customers")["items"]]
        assert names == ["Erika Mustermann"], "only the demo, made anew"
    finally:
        fresh.stop()


def test_make_run_prints_lines_to_paste_and_no_warning(local_stack) -> None:
    text = "".join(local_stack.output)
    assert f"export DOSSIER_API={local_stack.api_url}\n" in text
    assert re.search(r"^export DOSSIER_TOKEN=\S+$", text, re.M)
    login = re.search(rf"^console:\s+{re.escape(local_stack.api_url)}/app/#login=(\S+)$", text, re.M)
    assert login, text
    reply = requests.post(f"{local_stack.api_url}/_local/login", json={"code": login.group(1)}, timeout=10)
    assert reply.status_code == 200 and reply.json()["account"] == "demo"
    assert re.search(rf"^portal:\s+{re.escape(local_stack.api_url)}/p/\S+$", text, re.M)
    startup = text.split("Ctrl-C stops everything", 1)[0]
    assert "warning" not in startup.lower(), startup


def test_helpers_find_the_running_stack_by_its_state_folder(local_stack) -> None:
    token = helper(local_stack, "token", "--id", "demo")
    assert token.returncode == 0, token.stderr
    reply = requests.get(f"{local_stack.api_url}/account", timeout=10,
                         headers={"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"})
    assert reply.json()["id"] == "demo"

    unknown = helper(local_stack, "token", "--id", "gibt-es-nicht")
    assert unknown.returncode != 0 and "no account 'gibt-es-nicht'" in unknown.stderr and not unknown.stdout

    created = helper(local_stack, "account", "--id", "plan-e2e", "--plan", "solo")
    again = helper(local_stack, "account", "--id", "plan-e2e", "--plan", "team")
    assert created.returncode == again.returncode == 0
    assert "exists" in again.stderr and "make subscription ID=plan-e2e PLAN=team" in again.stderr

    login = helper(local_stack, "login", "--id", "demo", "--role", "member", "--user", "eva")
    url = login.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{local_stack.api_url}/app/#login="), login
    signed_in = requests.post(f"{local_stack.api_url}/_local/login", json={"code": url.split("#login=")[1]},
                              timeout=10).json()
    assert (signed_in["role"], signed_in["user"]) == ("member", "eva")

    for module in ("infra.local.reconcile", "infra.local.redrive"):
        result = helper(local_stack, module=module)
        assert result.returncode == 0, result.stderr


def test_a_second_stack_on_the_same_state_folder_is_refused(local_stack) -> None:
    result = subprocess.run([sys.executable, "-m", "infra.local.stack"], cwd=ROOT, env=local_stack.environment(),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "already runs" in result.stderr, result.stderr
    assert requests.get(f"{local_stack.api_url}/openapi.json", timeout=10).status_code == 200, "untouched"


def test_helpers_say_when_no_stack_runs(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LOCAL_STATE_DIR": str(tmp_path)}
    for command in (["infra.local.cli", "token", "--id", "demo"], ["infra.local.reconcile"]):
        result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode == 2 and "no local stack is running" in result.stderr, result.stderr


def test_the_outbox_shows_the_mail_of_a_send_email_link(local_stack) -> None:
    staff = Staff(local_stack.api_url, local_stack.admin_token)
    customer = staff.call("POST", "/customers", {"name": "Post <Empfänger>", "email": "post@example.com"},
                          expect=201)
    link = staff.call("POST", f"/customers/{customer['id']}/links", {"send_email": True}, expect=201)
    items = requests.get(f"{local_stack.api_url}/_local/outbox.json", timeout=10).json()["items"]
    mail = next(item for item in items if item["to"] == "post@example.com")
    assert set(mail) == {"at", "channel", "to", "subject", "body", "links"}
    assert mail["channel"] == "email" and mail["subject"] and link["url"] in mail["body"]
    assert mail["links"] == [link["url"]]
    assert items == sorted(items, key=lambda item: item["at"], reverse=True), "newest first"

    page = requests.get(f"{local_stack.api_url}/_local/outbox", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f'<a href="{link["url"]}">' in page.text, "the link is clickable"
    assert "Post &lt;Empfänger&gt;" in page.text and "Post <Empfänger>" not in page.text, "escaped"
    portal = requests.get(link["url"], timeout=10)
    for name in ("Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Robots-Tag",
                 "Cross-Origin-Opener-Policy"):
        assert page.headers[name] == portal.headers[name], name
    # The portal's policy without its uploads bucket (the page of an unknown link has the same).
    assert page.headers["Content-Security-Policy"] == content_security_policy()


def test_make_help_lists_every_target_with_one_line() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    assert {"run", "test", "help", "login"} <= targets
    for arguments in (["help"], []):
        result = subprocess.run([shutil.which("make") or "make", "--no-print-directory", *arguments], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=True)
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("make ")]
        listed = [line.split()[1].rstrip(":") for line in lines]
        assert sorted(listed) == sorted(targets), (listed, targets)
        assert all(": " in line and len(line) <= 120 for line in lines), lines
