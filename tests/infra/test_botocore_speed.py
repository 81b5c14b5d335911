"""tests/support/speed.py's botocore change (applied to every test process by tests/conftest.py): the same
User-Agent header as botocore writes, component by component and request by request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support import speed


@pytest.fixture
def plain_then_cached() -> Iterator[None]:
    """Starts with botocore as it is and leaves the process as the suite runs it (cached)."""
    speed.plain_botocore_requests()
    try:
        yield
    finally:
        speed.cheaper_botocore_requests()


def component_texts() -> list[Any]:
    from botocore.useragent import UserAgentComponent, UserAgentComponentSizeConfig

    short = UserAgentComponentSizeConfig(12, ",")
    empty = UserAgentComponentSizeConfig(2, ",")
    components = [
        UserAgentComponent("ua", "2.1"), UserAgentComponent("os", "linux", "6.1.0-x86 64"),
        UserAgentComponent("md", "pyimpl#CPython", ""), UserAgentComponent("m", "A,B,C,D,E,F,G,H", None, short),
        UserAgentComponent("m", "A,B,C,D,E,F,G,H", None, empty), UserAgentComponent("app", "mein Büro/ä#1", "v#2"),
        UserAgentComponent("lang/py", "3.11", "x(y)[z]{}"),
    ]
    texts = [component.to_string() for component in components]
    texts.append(components[3].to_string())  # the second time: from the cache
    short.max_size_in_bytes = 6  # a size limit changed afterwards still cuts to the new size
    texts.append(components[3].to_string())
    return texts


def user_agents() -> list[str]:
    """The User-Agent header each request sends, for clients configured every way that shows in it."""
    sent: list[str] = []
    configs = [Config(), Config(user_agent_extra="dossier-tests/1 (x)", user_agent_appid="mein-büro"),
               Config(user_agent="legacy/1.0"), Config(retries={"mode": "adaptive"})]
    for config in configs:
        client = boto3.client("sqs", region_name="eu-central-1", config=config, aws_access_key_id="k",
                              aws_secret_access_key="s", endpoint_url="http://127.0.0.1:9")

        def keep(request: Any, **_: Any) -> Any:
            sent.append(request.headers["User-Agent"].decode())
            from botocore.awsrequest import AWSResponse
            from moto.core.botocore_stubber import MockRawResponse

            return AWSResponse(request.url, 200, {}, MockRawResponse("{}"))  # an empty reply, not the network

        client.meta.events.register("before-send", keep)
        for _ in range(2):
            client.list_queues()
    return sent


def test_user_agent_components_read_as_botocore_writes_them(plain_then_cached: None) -> None:
    plain = component_texts()
    speed.cheaper_botocore_requests()
    assert component_texts() == plain
    assert plain[3] == "m/A,B,C,D,E" and plain[4] == "" and plain[-1] == "m/A,B"


def test_every_request_sends_the_user_agent_botocore_sends(plain_then_cached: None) -> None:
    plain = user_agents()
    speed.cheaper_botocore_requests()
    cached = user_agents()
    assert cached == plain, (cached, plain)
    assert "dossier-tests/1" in plain[2] and "app/mein-b-ro" in plain[2] and plain[4].startswith("legacy/1.0")


def sanitized_while(action: Any) -> list[str]:
    """The strings botocore sanitizes for its User-Agent header while `action` runs."""
    from botocore import useragent

    calls: list[str] = []
    plain_sanitize = useragent.sanitize_user_agent_string_component

    def counted(raw_str: str, allow_hash: bool) -> str:
        calls.append(raw_str)
        return plain_sanitize(raw_str, allow_hash)

    useragent.sanitize_user_agent_string_component = counted
    try:
        action()
    finally:
        useragent.sanitize_user_agent_string_component = plain_sanitize
    return calls


def test_a_user_agent_component_is_written_once_per_process(plain_then_cached: None) -> None:
    plain = sanitized_while(user_agents)
    speed.cheaper_botocore_requests()
    user_agents()
    # Only the app id, which botocore sanitizes outside a component, is sanitized again for each header.
    assert set(sanitized_while(user_agents)) == {"mein-büro"}
    assert len(plain) > 20 * 16  # about two dozen per header, two headers per request


def test_botocore_is_the_version_the_speed_up_was_written_for() -> None:
    import botocore

    from tests.infra.test_moto_pins import source_hash

    assert botocore.__version__ == speed.BOTOCORE_VERSION
    assert {name: source_hash(name) for name in speed.PINNED_SOURCES} == speed.PINNED_SOURCES
