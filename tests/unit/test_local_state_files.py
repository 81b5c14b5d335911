"""How the local stack's helpers find it (stack.json) and which moto requests count as changing data."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from infra.local import statefile
from infra.local.moto_server import changes_data, wakes_queues, wakes_stream


@pytest.mark.parametrize(("environ", "changes"), [
    ({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query", "REQUEST_METHOD": "POST"}, False),
    ({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem", "REQUEST_METHOD": "POST"}, False),
    ({"HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage", "REQUEST_METHOD": "POST"}, False),
    ({"HTTP_X_AMZ_TARGET": "DynamoDBStreams_20120810.GetRecords", "REQUEST_METHOD": "POST"}, False),
    ({"HTTP_X_AMZ_TARGET": "DynamoDBStreams_20120810.DescribeStream", "REQUEST_METHOD": "POST"}, False),
    ({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems", "REQUEST_METHOD": "POST"}, True),
    ({"HTTP_X_AMZ_TARGET": "AmazonSQS.DeleteMessageBatch", "REQUEST_METHOD": "POST"}, True),
    ({"REQUEST_METHOD": "GET"}, False),
    ({"REQUEST_METHOD": "HEAD"}, False),
    ({"REQUEST_METHOD": "POST"}, True),  # an S3 browser upload, SES v2, query protocols
    ({"REQUEST_METHOD": "DELETE"}, True),
])
def test_which_requests_count_as_changing_data(environ, changes) -> None:
    assert changes_data(environ) is changes


@pytest.mark.parametrize(("target", "method", "queues", "stream"), [
    ("DynamoDB_20120810.TransactWriteItems", "POST", False, True),
    ("DynamoDB_20120810.PutItem", "POST", False, True),
    ("AmazonSQS.SendMessage", "POST", True, False),
    ("AmazonSQS.SendMessageBatch", "POST", True, False),
    ("AmazonSQS.ChangeMessageVisibility", "POST", True, False),  # a failed message may be receivable at once
    ("AmazonSQS.DeleteMessageBatch", "POST", False, False),  # a pump's own delete wakes no pump
    (None, "POST", True, False),  # an S3 browser upload: moto queues its event notification
    (None, "DELETE", True, False),
])
def test_which_pumps_a_data_changing_request_wakes(target, method, queues, stream) -> None:
    environ = {"REQUEST_METHOD": method, **({"HTTP_X_AMZ_TARGET": target} if target else {})}
    assert changes_data(environ)
    assert (wakes_queues(environ), wakes_stream(environ)) == (queues, stream)


def test_helpers_use_the_running_stacks_ports_unless_both_are_given(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("MOTO_PORT", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        api_port = listening.getsockname()[1]
        statefile.write(statefile.StackInfo(pid=os.getpid(), moto_port=5999, api_port=api_port,
                                            api_url=f"http://127.0.0.1:{api_port}", moto_url="http://127.0.0.1:5999"))
        assert statefile.find_running_stack() == (5999, api_port)
        monkeypatch.setenv("MOTO_PORT", "1")
        monkeypatch.setenv("PORT", "2")
        assert statefile.find_running_stack() == (1, 2)
    monkeypatch.delenv("PORT")
    assert statefile.read() is None, "nothing listens on the API port any more"
    with pytest.raises(SystemExit) as exited:
        statefile.find_running_stack()
    assert exited.value.code == 2


def test_stack_json_of_a_dead_process_is_ignored_and_only_its_owner_removes_it(tmp_path: Path) -> None:
    info = statefile.StackInfo(pid=2**22 + 17, moto_port=1, api_port=2, api_url="", moto_url="")
    statefile.write(info, tmp_path)
    assert statefile.read(tmp_path) is None
    statefile.remove(os.getpid(), tmp_path)
    assert (tmp_path / statefile.STACK_FILE).exists(), "another process's file stays"
    statefile.remove(info.pid, tmp_path)
    assert not (tmp_path / statefile.STACK_FILE).exists()


def test_the_moto_servers_host_lookup_lists_motos_modules_once_and_the_same() -> None:
    from moto import backends

    from infra.local import moto_server

    before = list(backends.list_of_moto_modules())
    moto_server._list_moto_modules_once()
    assert list(backends.list_of_moto_modules()) == before and "dynamodb" in before
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()  # listed once, not per request
