"""Search and filters over the customer register: `q` over name, e-mail and company at once (case, umlauts,
prefixes, whole addresses, domains), combined with status and group, and cursors that never skip or repeat."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import quote

import pytest

from tests.support.api import ApiClient
from tests.support.staff import create_customer


@pytest.fixture
def team(application, make_account) -> ApiClient:
    """A client of a fresh `team` account (no customer limit)."""
    return ApiClient(application.app, token=make_account(plan="team")[1])


def search(api, q: str | None = None, **filters) -> list[str]:
    """The names of every match, following cursors to the end."""
    return [c["name"] for c in every_page(api, q=q, **filters)]


def every_page(api, limit: int = 50, cursor: str | None = None, **params) -> list[dict]:
    found: list[dict] = []
    for _ in range(500):
        reply = api.get(path(limit=limit, cursor=cursor, **params))
        assert reply.status == 200, reply
        found += reply.json["items"]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursors never ended")


def path(**params) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v is not None)
    return "/customers" + (f"?{query}" if query else "")


def module_client(application, plan: str = "pro") -> ApiClient:
    """A client of a fresh account that lives as long as the test module (for read-only tests)."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token

    account_id = f"search-{secrets.token_hex(6)}"
    create_account(account_id, plan=plan)  # type: ignore[arg-type]
    return ApiClient(application.app, token=issue_token(account_id, "admin-user", "admin"))


PEOPLE = [
    ("Anna Schmidt", "anna.schmidt@example.com", "Bäckerei Schmidt"),
    ("Peter Schmidtke", "peter@gmail.com", None),
    ("Jürgen Müller", "j.mueller@gmail.com", "Müller & Söhne GmbH"),
    ("Karl Mueller", "karl@web.de", None),
    ("Anna Meier", "anna.meier@gmail.de", "Straßenbau Meier"),
    ("Zoë Groß", None, "Grossmann Consulting"),
    ("Ølaf Ångström", "olaf@example.org", None),
]


@pytest.fixture(scope="module")
def directory(application) -> ApiClient:
    """An account holding PEOPLE (read-only: tests must not change it)."""
    client = module_client(application)
    for name, email, company in PEOPLE:
        create_customer(client, name, email=email, company=company)
    return client


@pytest.mark.parametrize("q,expected", [
    ("schmidt", {"Anna Schmidt", "Peter Schmidtke"}),
    ("SCHMIDT", {"Anna Schmidt", "Peter Schmidtke"}),
    ("sChMiDt", {"Anna Schmidt", "Peter Schmidtke"}),
    ("schm", {"Anna Schmidt", "Peter Schmidtke"}),
    ("schmidtk", {"Peter Schmidtke"}),
    ("s", {"Anna Schmidt", "Peter Schmidtke", "Jürgen Müller", "Anna Meier"}),
    ("anna", {"Anna Schmidt", "Anna Meier"}),
    ("anna schmidt", {"Anna Schmidt"}),
    ("schmidt anna", {"Anna Schmidt"}),
    ("  anna   schm ", {"Anna Schmidt"}),
    ("anna peter", set()),
    ("zoe", {"Zoë Groß"}),
    ("angstrom", {"Ølaf Ångström"}),
    ("ångström", {"Ølaf Ångström"}),
])
def test_names_are_found_by_case_insensitive_word_prefixes(directory, q, expected) -> None:
    assert set(search(directory, q)) == expected


@pytest.mark.parametrize("q,expected", [
    ("müller", {"Jürgen Müller", "Karl Mueller"}),
    ("MÜLLER", {"Jürgen Müller", "Karl Mueller"}),
    ("mueller", {"Jürgen Müller", "Karl Mueller"}),
    ("muller", {"Jürgen Müller", "Karl Mueller"}),
    ("mül", {"Jürgen Müller", "Karl Mueller"}),
    ("mue", {"Jürgen Müller", "Karl Mueller"}),
    ("jürgen", {"Jürgen Müller"}),
    ("juergen", {"Jürgen Müller"}),
    ("söhne", {"Jürgen Müller"}),
    ("soehne", {"Jürgen Müller"}),
    ("groß", {"Zoë Groß"}),
    ("gross", {"Zoë Groß"}),
    ("grossmann", {"Zoë Groß"}),
    ("straße", {"Anna Meier"}),
    ("strassenbau", {"Anna Meier"}),
    ("bäckerei", {"Anna Schmidt"}),
    ("baeckerei", {"Anna Schmidt"}),
])
def test_umlauts_and_sharp_s_are_found_both_ways(directory, q, expected) -> None:
    assert set(search(directory, q)) == expected


@pytest.mark.parametrize("q,expected", [
    ("anna.schmidt@example.com", {"Anna Schmidt"}),
    ("Anna.Schmidt@Example.COM", {"Anna Schmidt"}),
    ("anna.schmidt@", {"Anna Schmidt"}),
    ("j.mueller@gmail.com", {"Jürgen Müller"}),
    ("j.müller@gmail.com", {"Jürgen Müller"}),
    ("@gmail.com", {"Peter Schmidtke", "Jürgen Müller"}),
    ("@GMAIL.COM", {"Peter Schmidtke", "Jürgen Müller"}),
    ("@gmail", {"Peter Schmidtke", "Jürgen Müller", "Anna Meier"}),
    ("@gmail.de", {"Anna Meier"}),
    ("gmail.com", {"Peter Schmidtke", "Jürgen Müller"}),
    ("@example.com", {"Anna Schmidt"}),
    ("@example", {"Anna Schmidt", "Ølaf Ångström"}),
    ("anna @gmail.de", {"Anna Meier"}),
    ("anna @example.com", {"Anna Schmidt"}),
    ("peter@gmail.de", set()),
    ("@web.de karl", {"Karl Mueller"}),
    ("anna.meier@gmail.com", set()),
])
def test_whole_addresses_and_domains_are_found(directory, q, expected) -> None:
    assert set(search(directory, q)) == expected


@pytest.mark.parametrize("q,expected", [
    ("consulting", {"Zoë Groß"}),
    ("söhne gmbh", {"Jürgen Müller"}),
    ("müller söhne jürgen", {"Jürgen Müller"}),
    ("meier straßenbau", {"Anna Meier"}),
])
def test_the_company_is_searched_with_the_name(directory, q, expected) -> None:
    assert set(search(directory, q)) == expected


def test_a_long_name_with_a_long_company_and_address_is_found_by_each(api) -> None:
    create_customer(api, "Hans-Jürgen Müller-Lüdenscheidt",
                    company="Steuerberatungsgesellschaft Müller & Partner mbB",
                    email="hans-juergen.mueller-luedenscheidt@steuerberatung-mueller.de")
    create_customer(api, "Dr. Karl-Theodor zu Guttenberg", company="Bäckerei Schäfer GmbH & Co. KG",
                    email="kt@guttenberg.de")
    for q in ("lüdenscheidt", "luedenscheidt", "steuerberatungsgesellschaft", "partner", "mbb", "jürgen müller",
              "@steuerberatung-mueller.de", "hans-juergen.mueller-luedenscheidt@steuerberatung-mueller.de",
              "steuerberatung-müller.de"):
        assert search(api, q) == ["Hans-Jürgen Müller-Lüdenscheidt"], q
    for q in ("karl theodor", "schäfer", "schaefer", "bäckerei gmbh", "co kg", "@guttenberg.de", "kt@guttenberg.de",
              "guttenberg.de", "guttenberg"):
        assert search(api, q) == ["Dr. Karl-Theodor zu Guttenberg"], q


def test_the_index_follows_changes_and_deletions(api) -> None:
    customer = create_customer(api, "Berta Beispiel", email="berta@alt.de", company="Alt GmbH")
    reply = api.patch(f"/customers/{customer['id']}", {"name": "Berta Neumann", "email": "berta@neu.de",
                                                        "company": None})
    assert reply.status == 200, reply
    for gone in ("beispiel", "@alt.de", "alt"):
        assert search(api, gone) == [], gone
    for found in ("neumann", "berta", "@neu.de", "berta@neu.de"):
        assert search(api, found) == ["Berta Neumann"], found
    assert api.delete(f"/customers/{customer['id']}").status == 202
    assert search(api, "berta") == []


def test_search_combines_with_status_and_group(api) -> None:
    group = api.post("/groups", {"name": "Stammkunden"}).json
    anna = create_customer(api, "Anna Schmidt", groups=[group["id"]])
    create_customer(api, "Anna Schneider", status="complete", groups=[group["id"]])
    create_customer(api, "Anna Schulz", status="complete")
    create_customer(api, "Bernd Schmidt", status="complete", groups=[group["id"]])

    assert set(search(api, "anna", status="complete")) == {"Anna Schneider", "Anna Schulz"}
    assert set(search(api, "anna", group=group["id"])) == {"Anna Schmidt", "Anna Schneider"}
    assert search(api, "anna", status="complete", group=group["id"]) == ["Anna Schneider"]
    assert set(search(api, None, status="complete", group=group["id"])) == {"Anna Schneider", "Bernd Schmidt"}
    assert set(search(api, None, status="complete")) == {"Anna Schneider", "Anna Schulz", "Bernd Schmidt"}
    assert search(api, "schmidt", status="open") == ["Anna Schmidt"]
    assert search(api, "schmidt", status="partial") == []

    for unknown in ("0" * 28, "nope"):
        reply = api.get(path(q="anna", group=unknown))
        assert (reply.status, reply.error_code) == (422, "validation_error"), reply
        assert [d["field"] for d in reply.json["error"]["details"]] == ["group"]

    api.patch(f"/customers/{anna['id']}", {"status": "complete", "groups": []})
    assert set(search(api, "anna", status="complete")) == {"Anna Schneider", "Anna Schulz", "Anna Schmidt"}
    assert search(api, "anna", group=group["id"]) == ["Anna Schneider"]


def test_the_list_shows_what_the_detail_shows_newest_first(api) -> None:
    made = [create_customer(api, f"Kunde {n}", email=f"k{n}@example.com") for n in range(3)]
    listed = api.get("/customers").json["items"]
    assert [c["id"] for c in listed] == [c["id"] for c in reversed(made)]
    for item in listed:
        assert item == api.get(f"/customers/{item['id']}").json
    assert api.get("/customers?q=kunde").json["items"] == listed


@pytest.mark.parametrize("q", ["!!!", "-", "&&& ???", "...", "*", "%", "'\"", "\u00bf\u00a1"])
def test_a_query_without_words_finds_nothing_and_fails_nothing(directory, q) -> None:
    reply = directory.get(path(q=q))
    assert reply.status == 200, reply
    assert reply.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("q", ["   ", "\u00a0", "\t"])
def test_a_blank_query_is_no_filter(directory, q) -> None:
    assert len(directory.get(path(q=q)).json["items"]) == len(PEOPLE)


@pytest.mark.parametrize("query,field", [("q=" + "x" * 201, "q"), ("status=done", "status"), ("limit=0", "limit"),
                                         ("limit=201", "limit"), ("limit=ten", "limit"),
                                         ("cursor=" + "x" * 2049, "cursor")])
def test_invalid_list_parameters_are_refused(api, query, field) -> None:
    reply = api.get(f"/customers?{query}")
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in [d["field"] for d in reply.json["error"]["details"]]


# --- pagination ---


def make_many(api, count: int, name: str = "Meyer", every_other_in: str | None = None) -> dict[int, str]:
    """`count` customers named "{name} 000", "{name} 001", ...: their ids by number."""
    made = {}
    for n in range(count):
        groups = [every_other_in] if every_other_in and n % 2 else []
        made[n] = create_customer(api, f"{name} {n:03d}", groups=groups)["id"]
    return made


@pytest.fixture(scope="module")
def crowd(application):
    """A `team` account with 120 customers named Meyer, every other one in a group, and one other customer:
    (client, Meyer ids, the other's id, the group's id). Tests that change it undo their changes."""
    client = module_client(application, plan="team")
    group = client.post("/groups", {"name": "Hälfte"}).json["id"]
    meyers = make_many(client, 120, every_other_in=group)
    other = create_customer(client, "Schmidt", status="complete", groups=[group], email="schmidt@example.net")["id"]
    return client, meyers, other, group


def read_pages(client, limits: tuple[int, ...], between=None, **params) -> list[list[str]]:
    """Every page of a listing, the n-th page asked with limits[n % len(limits)]; `between` runs after each."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        limit = limits[len(pages) % len(limits)]
        reply = client.get(path(limit=limit, cursor=cursor, **params))
        assert reply.status == 200, reply
        pages.append([c["id"] for c in reply.json["items"]])
        assert len(pages[-1]) <= limit
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 500, "the cursors never ended"
        if between:
            between()


@pytest.mark.parametrize("params,limits", [
    ({"q": "meyer"}, (1, 7, 2, 50, 3)),
    ({"q": "meyer"}, (200,)),
    ({"q": "0"}, (7,)),
    ({"q": "meyer 1"}, (3, 8)),
    ({"q": "mey m"}, (11, 4)),
    ({"q": "mey", "status": "open"}, (9,)),
    ({"status": "open"}, (7, 60)),
    ({}, (13,)),
])
def test_pages_cover_every_match_once(crowd, params, limits) -> None:
    client, meyers, other, _ = crowd
    expected = {
        "meyer": set(meyers.values()),
        "mey m": set(meyers.values()),
        "mey": set(meyers.values()),
        "0": {i for n, i in meyers.items() if n < 100},
        "meyer 1": {i for n, i in meyers.items() if n >= 100},
        None: set(meyers.values()) | ({other} if "status" not in params else set()),
    }[params.get("q")]
    ids = [i for page in read_pages(client, limits, **params) for i in page]
    assert len(ids) == len(set(ids)), "no customer is shown twice"
    assert set(ids) == expected
    assert ids == sorted(ids, reverse=True), "newest first"


def test_pages_of_a_group_cover_every_member_once(crowd) -> None:
    client, meyers, other, group = crowd
    members = {c["id"] for c in every_page(client, limit=200, group=group)}
    assert members == {i for n, i in meyers.items() if n % 2} | {other}
    for params in ({"group": group}, {"group": group, "q": "meyer"}, {"group": group, "status": "open"}):
        ids = [i for page in read_pages(client, (4, 17), **params) for i in page]
        assert len(ids) == len(set(ids))
        assert set(ids) == (members if "q" not in params and "status" not in params else members - {other})


def test_a_filter_that_matches_nothing_among_many_ends(crowd) -> None:
    client, _, other, _ = crowd
    assert every_page(client, limit=5, q="meyer", status="complete") == []
    assert [c["id"] for c in every_page(client, limit=5, status="complete")] == [other]
    assert [c["id"] for c in every_page(client, limit=5, q="schmidt")] == [other]
    assert [c["id"] for c in every_page(client, limit=5, q="@example.net")] == [other]


def test_customers_created_between_pages_neither_skip_nor_repeat(crowd) -> None:
    client, meyers, _, _ = crowd
    created: list[str] = []

    def create_one() -> None:
        created.append(create_customer(client, f"Meyer neu {len(created)}")["id"])

    try:
        ids = [i for page in read_pages(client, (12,), between=create_one, q="meyer") for i in page]
        assert len(created) == 9
        assert len(ids) == len(set(ids))
        # Newest first: what is created meanwhile lands before the pages already read.
        assert set(ids) == set(meyers.values()), "exactly the customers that existed when the first page was read"
    finally:
        for customer_id in created:
            assert client.delete(f"/customers/{customer_id}").status == 202


def test_customers_deleted_between_pages_shift_nothing(team) -> None:
    made = set(make_many(team, 12).values())
    first = team.get(path(q="meyer", limit=5)).json
    for customer in first["items"]:
        assert team.delete(f"/customers/{customer['id']}").status == 202
    rest = [c["id"] for c in every_page(team, limit=5, q="meyer", cursor=first["next_cursor"])]
    assert set(rest) == made - {c["id"] for c in first["items"]} and len(rest) == 7


def forge(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_tampered_and_foreign_cursors_are_refused(api, make_account) -> None:
    for n in range(4):
        create_customer(api, f"Meyer {n}")
    own = api.get(path(q="meyer", limit=1)).json["next_cursor"]
    listing = api.get(path(limit=1)).json["next_cursor"]
    assert own and listing
    decoded = json.loads(base64.urlsafe_b64decode(own + "=" * (-len(own) % 4)))

    other = api.with_token(make_account()[1])
    for n in range(4):
        create_customer(other, f"Meyer {n}")
    foreign = other.get(path(q="meyer", limit=1)).json["next_cursor"]

    tampered = [
        ("meyer", "not-a-cursor"),
        ("meyer", "%%%"),
        ("meyer", own[:-3]),
        ("meyer", foreign),
        ("meyer", listing),
        ("schmidt", own),
        (None, own),
        ("meyer", forge([1, 2])),
        ("meyer", forge("x")),
        ("meyer", forge({**decoded, "sk": 5})),
        ("meyer", forge({**decoded, "sk": ""})),
        ("meyer", forge({"pk": decoded["pk"]})),
        ("meyer", forge({**decoded, "gsi1pk": "x", "gsi1sk": "y"})),
        ("meyer", forge({**decoded, "extra": "1"})),
        ("meyer", forge({**decoded, "pk": decoded["pk"].replace(decoded["pk"].split("#")[0], "other-account")})),
        ("meyer", forge({**decoded, "sk": "x" * 2000})),
    ]
    for q, cursor in tampered:
        reply = api.get(path(q=q, limit=1, cursor=cursor))
        assert (reply.status, reply.error_code) == (422, "validation_error"), (q, cursor, reply)
        assert [d["field"] for d in reply.json["error"]["details"]] == ["cursor"]

    status_cursor = api.get(path(status="open", limit=1)).json["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(status_cursor + "=" * (-len(status_cursor) % 4)))
    for cursor in (forge({"gsi1pk": decoded["gsi1pk"], "gsi1sk": decoded["gsi1sk"]}), listing):
        reply = api.get(path(status="open", limit=1, cursor=cursor))
        assert (reply.status, reply.error_code) == (422, "validation_error"), (cursor, reply)
