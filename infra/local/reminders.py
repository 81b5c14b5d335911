"""`make reminders`: send the planned reminders that are due now (chalicelib/links/service.py
send_due_reminders), against the running local stack, as its hourly scheduled function does on AWS; prints how
many were sent, skipped, stopped or taken by another run."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from botocore.exceptions import EndpointConnectionError

    from infra.local import environment, statefile

    environment.apply(*statefile.find_running_stack())
    from chalicelib.links.service import send_due_reminders

    try:
        run = send_due_reminders()
    except EndpointConnectionError:
        print(f"error: no local stack on port {environment.moto_port()}; start it with `make run`", file=sys.stderr)
        return 2
    print(json.dumps(vars(run), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
