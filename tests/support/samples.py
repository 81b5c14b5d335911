"""Sample events stored as JSON under tests/events/."""

from __future__ import annotations

from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1] / "events"


def event_body(name: str) -> str:
    return (EVENTS / f"{name}.json").read_text()
