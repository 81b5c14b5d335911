"""`make load`: start the local stack on free ports, put a bounded mixed load on it over loopback, check that
nothing was lost, print p50/p95 per kind of request.

    python -m load [--clients 10] [--requests 2000]

Exit status 1 if any request failed or anything was lost.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
from typing import Any

from load.driver import LoadError, Result, Workload


def account_token(stack: Any, account_id: str) -> str:
    """A `team` account on the running stack (`make account`), and its admin token."""
    created = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "infra.local.cli", "account", "--id", account_id, "--plan", "team"],
        env=stack.environment(), capture_output=True, text=True, check=True, timeout=60)
    return created.stdout.strip().splitlines()[-1]


def queued_events(stack: Any) -> dict[str, int]:
    """Messages still in the stack's queues and dead-letter queues (visible or in flight)."""
    import boto3

    from infra.local.environment import REGION, STAGE, local_environment
    from infra.local.provision import resource_names

    local = local_environment(stack.moto_port, stack.api_port)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=local["AWS_ENDPOINT_URL"],
                       aws_access_key_id=local["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=local["AWS_SECRET_ACCESS_KEY"])
    counts = {}
    for logical, name in resource_names(STAGE, REGION).items():
        if logical.endswith("Queue"):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            counts[name] = sum(int(v) for v in attributes.values())
    return counts


def run_load(stack: Any, clients: int, requests: int) -> Result:
    """The workload against a running stack (tests/e2e/conftest.py's RunningStack); raises LoadError."""
    token = account_token(stack, f"load-{secrets.token_hex(4)}")
    result = Workload(stack.api_url, token, clients=clients, requests=requests,
                      queued=lambda: queued_events(stack)).run()
    if result.errors:
        raise LoadError(f"{len(result.errors)} requests failed:\n" + "\n".join(result.errors[:20]))
    left = {name: count for name, count in queued_events(stack).items() if count}
    if left:
        raise LoadError(f"messages left in queues: {left}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args(argv)
    from tests.e2e.conftest import start_stack

    print(f"starting the local stack; then {arguments.requests} requests from {arguments.clients} clients",
          flush=True)
    stack = start_stack()
    try:
        result = run_load(stack, arguments.clients, arguments.requests)
    except LoadError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        try:
            stack.stop()
        except subprocess.TimeoutExpired:
            print("the local stack did not stop within 30 s and was killed", file=sys.stderr)
    print(result.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
