"""Browser gestures the Chromium tests share: drawing a signature with the mouse, reaching a control by Tab."""

from __future__ import annotations

from typing import Any


def draw_signature(page: Any, canvas: Any) -> None:
    """A zigzag stroke across the signature pad's canvas with the mouse (the pad records pointer events)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "the signature pad is on screen"
    page.mouse.move(box["x"] + 15, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + 15 + step * 18, box["y"] + box["height"] * (0.3 if step % 2 else 0.7))
    page.mouse.up()


def tab_to(page: Any, target: Any, presses: int) -> None:
    """Press Tab until `target` has the focus; fails when it is not reached within `presses`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")
