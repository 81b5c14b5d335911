"""What EventBridge does for the scheduled functions on AWS, for the local stack: call one of app.py's
`@app.schedule` functions every `interval` seconds, with the event a scheduled rule sends.

The local stack runs `send_reminders` this way (`LOCAL_REMINDERS_SECONDS`, default 3600, as its hourly `Rate`
on AWS), so a due reminder goes out while `make run` runs, not only when `make reminders` is typed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

from chalicelib import clock
from chalicelib.observability import logger
from infra.local.pump import PollingPump

REMINDERS_SECONDS = 3600.0


def scheduled_event(function_name: str, moment: str) -> dict[str, Any]:
    """The event EventBridge sends a scheduled function."""
    return {"version": "0", "id": f"local-{function_name}-{moment}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": moment, "region": "eu-central-1",
            "resources": [f"arn:aws:events:eu-central-1:123456789012:rule/dossier-local-{function_name}"],
            "detail": {}}


class ScheduledRun(PollingPump):
    """Calls `function(event, context)` every `interval` seconds, the first one `interval` after start (as a rate
    rule fires first one period after it is created)."""

    def __init__(self, function: Callable[[dict[str, Any], Any], Any], function_name: str, interval: float) -> None:
        super().__init__(function_name)
        self.function = function
        self.interval = interval
        self.idle_seconds = min(1.0, interval)
        self.next_run = time.monotonic() + interval
        self.runs = 0

    def source(self) -> dict[str, str]:
        return {"schedule": f"every {self.interval:g} s"}

    def poll_once(self) -> int:
        if time.monotonic() < self.next_run:
            return 0
        # The next one a period after this one started; a run longer than a period is followed at once.
        self.next_run = time.monotonic() + self.interval
        result = self.function(scheduled_event(self.function_name, clock.now_iso()),
                               LambdaContext(self.function_name, 512))
        self.runs += 1
        logger.info("scheduled function ran", extra={"function": self.function_name, "result": result})
        return 0
