"""Portal page weight: the bytes a customer's browser loads for `GET /p/{token}`, before the logo.

The page of an ordinary link (two upload areas, two fields to fill in, a file already sent) is fetched
through the app in-process, then every script, style sheet and image the HTML names, as served (the same
routes API Gateway serves). The logo is left out: its size is the account's choice. Goal: under 100 KB
(100,000 bytes) uncompressed, which keeps the first view quick on a phone.
"""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from bench.report import Figure, part

GOAL_BYTES = 100_000


class _Assets(HTMLParser):
    """The URLs of the scripts, style sheets and images a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = None
        if tag == "script":
            url = named.get("src")
        elif tag == "link" and (named.get("rel") or "").lower() == "stylesheet":
            url = named.get("href")
        elif tag == "img":
            url = named.get("src")
        if url and not url.startswith("data:"):
            self.urls.append(url)


def assets_of(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def _expect(reply: Any, status: int) -> Any:
    if reply.status != status:
        raise RuntimeError(f"expected {status}, got {reply}")
    return reply


def measure(stack: Any) -> tuple[list[Figure], dict[str, Any]]:
    from bench import seeding
    from chalicelib.auth.tokens import issue_token
    from tests.support import events

    account_id = "bench-portal"
    seeding.new_account(account_id, groups=0)
    staff = stack.api(issue_token(account_id, "bench-admin", "admin"))
    visitor = stack.api()
    _expect(staff.patch("/account", {"branding": {
        "company_name": "Steuerkanzlei Beispiel & Partner", "contact_email": "kanzlei@example.com",
        "contact_phone": "+49 30 1234567", "address": "Musterstraße 1, 10115 Berlin",
        "description": "Bitte laden Sie Ihre Unterlagen für die Steuererklärung hoch."}}), 200)
    ids = {name: _expect(staff.post("/attributes", body), 201).json["id"] for name, body in (
        ("payslip", {"name": "Lohnsteuerbescheinigung", "type": "file", "required": True}),
        ("receipts", {"name": "Belege", "type": "file"}),
        ("tax_id", {"name": "Steuer-ID", "type": "text", "required": True}),
        ("status", {"name": "Familienstand", "type": "select", "options": ["ledig", "verheiratet", "geschieden"]}),
    )}
    customer = _expect(staff.post("/customers", {"name": "Anna Schmidt", "email": "anna@example.com",
                                                 "attributes": {ids["tax_id"]: "12 345 678 901"}}), 201).json
    link = _expect(staff.post(f"/customers/{customer['id']}/links", {
        "areas": [ids["payslip"], ids["receipts"]], "attributes": [ids["tax_id"], ids["status"]],
        "message": "Guten Tag Frau Schmidt, bitte laden Sie die Unterlagen bis Ende Mai hoch."}), 201).json
    sent = _expect(staff.post(f"/customers/{customer['id']}/files", {
        "filename": "Steuerbescheid 2024.pdf", "size": 1000, "content_type": "application/pdf", "area": "general",
        "direction": "sent"}), 201).json
    events.post_upload(sent, b"%PDF-1.7 " + b"x" * 991)
    events.drain(stack.application, stack)

    path = urlsplit(link["url"]).path
    page = _expect(visitor.get(path, headers={"accept-language": "de-DE,de;q=0.9"}), 200)
    html = page.body.decode()
    if "Steuerbescheid 2024.pdf" not in html:
        raise RuntimeError("the portal page does not show the file sent to the customer")
    sizes = {"page (HTML with its context)": len(page.body)}
    compressed = len(gzip.compress(page.body))
    for url in assets_of(html):
        target = urlsplit(urljoin(path, url))  # the page's URLs are relative (API Gateway's stage prefix)
        asset = _expect(visitor.get(f"{target.path}?{target.query}" if target.query else target.path), 200)
        sizes[target.path] = len(asset.body)
        compressed += len(gzip.compress(asset.body))
    if len(sizes) < 3:
        raise RuntimeError(f"expected the page's script and style sheet, found {list(sizes)[1:]}")
    total = sum(sizes.values())
    figures = [Figure(
        name="Portal page weight: page and its assets, before the logo", value=total, unit="bytes",
        goal=f"< {GOAL_BYTES:,} bytes", ok=total < GOAL_BYTES,
        details="; ".join(f"{name} {size:,}" for name, size in sizes.items()) + f"; {compressed:,} gzipped")]
    return figures, {"requests": len(sizes)}


def run(quick: bool = False) -> dict[str, Any]:
    from bench.stack import in_process_stack

    with in_process_stack() as stack:
        figures, settings = measure(stack)
    return part("Portal page weight", {"quick": quick, **settings}, figures)
