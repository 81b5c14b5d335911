"""`make reconcile`: run the daily reconciliation (chalicelib/reconcile) now, against the running local stack:
every account in this process, one after another (on AWS the scheduled function queues a job per account);
prints what it repaired."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from botocore.exceptions import EndpointConnectionError

    from infra.local import environment, statefile

    environment.apply(*statefile.find_running_stack())
    from chalicelib.reconcile.handler import run_everything_now

    try:
        summary = run_everything_now()
    except EndpointConnectionError:
        print(f"error: no local stack on port {environment.moto_port()}; start it with `make run`", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
