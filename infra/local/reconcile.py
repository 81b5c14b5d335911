"""`make reconcile`: run the daily reconciliation (chalicelib/reconcile) now, against the running local stack:
every account in this process, one after another (on AWS the scheduled function queues a job per account);
prints what it repaired."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from infra.local import statefile

    def reconcile() -> int:
        from chalicelib.reconcile.handler import run_everything_now

        print(json.dumps(run_everything_now(), indent=2))
        return 0

    return statefile.against_running_stack(reconcile)


if __name__ == "__main__":
    sys.exit(main())
