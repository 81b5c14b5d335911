"""An account with one of everything a route can take an id of, built through the API."""

from __future__ import annotations

from typing import Any

from tests.support import events, jobs
from tests.support.samples import png_base64


def one_of_each(api: Any, application: Any, aws: Any, customer_name: str) -> dict[str, str]:
    """A group, a file attribute (upload area), a signature attribute, a customer in the group (signed) with a
    link to both areas and a stored file (sent, with an approval asked for), a finished export, a webhook
    endpoint, a template and a finished bulk request job: their ids by kind."""
    made = {"group": api.post("/groups", {"name": "Mandanten"}).json["id"],
            "attribute": api.post("/attributes", {"name": "Ausweis", "type": "file"}).json["id"]}
    made["customer"] = api.post("/customers", {"name": customer_name, "groups": [made["group"]]}).json["id"]
    # A signature field the customer signed (its image in S3).
    made["signature"] = api.post("/attributes", {"name": "Unterschrift", "type": "signature"}).json["id"]
    assert api.patch(f"/customers/{made['customer']}",
                     {"attributes": {made["signature"]: png_base64()}}).status == 200
    made["link"] = api.post(f"/customers/{made['customer']}/links",
                            {"areas": ["general", made["attribute"]]}).json["id"]
    presigned = api.post(f"/customers/{made['customer']}/files", {"filename": "pass.pdf", "size": 9,
                                                                  "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"%PDF-1.7 ")
    events.drain(application, aws)
    made["file"] = presigned["file_id"]
    # Staff uploads are sent files: the customer is asked to approve this one.
    made["approval"] = api.post(f"/customers/{made['customer']}/approvals", {"file_id": made["file"]}).json["id"]
    made["export"] = api.post("/exports", {"format": "csv"}).json["id"]
    jobs.drain_jobs(application, aws)
    assert api.get(f"/exports/{made['export']}").json["status"] == "done"
    made["webhook"] = api.post("/webhooks", {"url": "http://127.0.0.1:9/hooks",
                                             "events": ["customer.created"]}).json["id"]
    # A finished bulk request: a template sent to the customer and to an id that exists nowhere (a failure).
    made["template"] = api.post("/templates", {"name": "Welt", "items": [{"attribute_id": "general"}]}).json["id"]
    made["job"] = api.post("/requests/bulk", {"template_id": made["template"],
                                              "customer_ids": [made["customer"], "gone"]}).json["id"]
    jobs.drain_jobs(application, aws)
    assert api.get(f"/jobs/{made['job']}").json["status"] == "done"
    # An invited team member.
    made["user"] = api.post("/users", {"email": f"kollegin-{made['customer'][-8:]}@example.com",
                                       "name": "Kollegin", "role": "member"}).json["id"]
    return made
