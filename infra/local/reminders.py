"""`make reminders`: send the planned reminders that are due now (chalicelib/links/service.py
send_due_reminders), against the running local stack, as its hourly scheduled function does on AWS; prints how
many were sent, skipped, stopped or taken by another run."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from infra.local import statefile

    def send() -> int:
        from chalicelib.links.service import send_due_reminders

        print(json.dumps(vars(send_due_reminders()), indent=2))
        return 0

    return statefile.against_running_stack(send)


if __name__ == "__main__":
    sys.exit(main())
