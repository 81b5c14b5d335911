"""`make reconcile`: run the daily reconciliation (chalicelib/reconcile) now, against the running local stack,
through the same scheduled function Lambda runs; prints what it repaired."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from botocore.exceptions import EndpointConnectionError
    from chalice.local import LambdaContext

    from infra.local import environment, statefile

    environment.apply(*statefile.find_running_stack())
    import app
    from chalicelib import clock
    from infra.local.provision import LOCAL_ACCOUNT_ID

    event = {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": LOCAL_ACCOUNT_ID, "time": clock.now_iso(), "region": environment.REGION, "resources": [],
             "detail": {}}
    try:
        summary = app.reconcile_counters(event, LambdaContext("reconcile_counters", 512))
    except EndpointConnectionError:
        print(f"error: no local stack on port {environment.moto_port()}; start it with `make run`", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
