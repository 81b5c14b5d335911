"""Deleting a group or an attribute answers at once (202 + a job id) and the definition is gone at once; a job on
the jobs queue then walks what referred to it a page at a time, handing the rest on in a new message (its
checkpoint), so no request and no job run grows with the account."""

from __future__ import annotations

import json

from tests.support import jobs


def _run_all(application, aws) -> list[dict]:
    """Deliver job messages one by one until none is left; the messages run, in order."""
    ran = []
    while bodies := jobs.take_job_messages(aws):
        for body in bodies:
            reply = jobs.deliver_job(application, body)
            assert not reply.get("batchItemFailures"), reply
            ran.append(json.loads(body))
    return ran


def _history(api, customer_id: str, kind: str) -> list[dict]:
    return [e for e in api.get(f"/customers/{customer_id}/activity?limit=200").json["items"] if e["type"] == kind]


def test_deleting_a_group_is_a_job_that_pages_and_checkpoints(api, application, aws, monkeypatch) -> None:
    from chalicelib.groups import service

    monkeypatch.setattr(service, "JOB_MEMBERS_PER_RUN", 2)
    monkeypatch.setattr(service, "JOB_PAGE_SIZE", 1)
    jobs.take_job_messages(aws)
    group = api.post("/groups", {"name": "Altbestand"}).json
    members = [api.post("/customers", {"name": f"K{n}", "groups": [group["id"]]}).json for n in range(5)]

    reply = api.delete(f"/groups/{group['id']}")
    assert reply.status == 202, reply
    assert reply.json["id"] == group["id"] and reply.json["status"] == "deleting" and reply.json["job_id"]
    assert group["id"] not in [g["id"] for g in api.get("/groups").json["items"]], "gone at once"

    ran = _run_all(application, aws)
    assert [m["kind"] for m in ran] == ["delete_group"] * 3, "2 members per run: 3 runs for 5"
    assert {m["job_id"] for m in ran} == {reply.json["job_id"]}
    assert ran[0]["cursor"] is None and all(m["cursor"] for m in ran[1:])
    for member in members:
        assert api.get(f"/customers/{member['id']}").json["groups"] == []
        assert len(_history(api, member["id"], "groups_changed")) == 1


def test_a_redelivered_run_changes_nothing_twice(api, application, aws) -> None:
    jobs.take_job_messages(aws)
    group = api.post("/groups", {"name": "Doppelt"}).json
    member = api.post("/customers", {"name": "Einmal", "groups": [group["id"]]}).json
    assert api.delete(f"/groups/{group['id']}").status == 202
    [body] = jobs.take_job_messages(aws)
    for _ in range(2):
        assert not jobs.deliver_job(application, body).get("batchItemFailures")
    assert len(_history(api, member["id"], "groups_changed")) == 1


def test_a_job_for_a_group_that_still_exists_refuses_to_run(api, application, aws) -> None:
    from chalicelib.jobs.messages import DeleteGroupMessage

    group = api.post("/groups", {"name": "Bleibt"}).json
    member = api.post("/customers", {"name": "Mitglied", "groups": [group["id"]]}).json
    account_id = api.get("/account").json["id"]
    body = DeleteGroupMessage(kind="delete_group", account_id=account_id, job_id="j1", group_id=group["id"],
                              actor="staff:x").model_dump_json()
    assert jobs.deliver_job(application, body).get("batchItemFailures"), "retried, then the DLQ: never half done"
    assert api.get(f"/customers/{member['id']}").json["groups"] == [group["id"]]


def test_deleting_an_attribute_is_a_job_that_pages_and_checkpoints(api, anonymous, application, aws,
                                                                   monkeypatch) -> None:
    from chalicelib.attributes import service

    monkeypatch.setattr(service, "JOB_ITEMS_PER_RUN", 2)
    monkeypatch.setattr(service, "JOB_PAGE_SIZE", 1)
    jobs.take_job_messages(aws)
    doomed = api.post("/attributes", {"name": "Konfession", "type": "text"}).json
    customers = [api.post("/customers", {"name": f"K{n}", "attributes": {doomed["id"]: "rk"}}).json
                 for n in range(3)]
    link = api.post(f"/customers/{customers[0]['id']}/links", {"areas": ["general"], "attributes": [doomed["id"]]}
                    ).json

    reply = api.delete(f"/attributes/{doomed['id']}")
    assert reply.status == 202 and reply.json["job_id"], reply
    assert api.get(f"/attributes/{doomed['id']}").status == 404, "gone at once"

    ran = _run_all(application, aws)
    assert len(ran) >= 2 and {m["kind"] for m in ran} == {"delete_attribute"}
    assert ran[0]["phase"] == "links" and ran[-1]["phase"] == "customers"
    for customer in customers:
        assert doomed["id"] not in api.get(f"/customers/{customer['id']}").json["attributes"]
        assert len(_history(api, customer["id"], "attributes_changed")) == 1
    [listed] = api.get(f"/customers/{customers[0]['id']}/links").json["items"]
    assert listed["id"] == link["id"] and listed["attributes"] == []
