"""The test processes' frame-chunk allocator (tests/support/frame_chunks.c): in place in every test process,
keeping the blocks CPython frees when the call depth falls, and handing everything else on unchanged."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys

import pytest

from tests.support import frame_chunks

ROOT = frame_chunks.SOURCE.parents[2]


def depth(levels: int) -> int:
    return 0 if levels == 0 else 1 + depth(levels - 1)


def test_the_suites_processes_keep_their_frame_chunks() -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.fail("a C compiler is needed for the test processes' allocator: `make test` installs gcc")
    assert frame_chunks.install() is True
    assert frame_chunks._installed, "tests/conftest.py puts the allocator in place"


def test_chunks_freed_by_returning_calls_are_kept_for_the_next_and_no_more_than_64() -> None:
    assert frame_chunks.install()
    library = frame_chunks._installed[0]
    # Hundreds of frames deep: past several 16 KiB chunks, so returning frees them.
    for _ in range(50):
        assert depth(600) == 600
    kept = library.frame_chunks_kept()
    assert 1 <= kept <= 64
    for _ in range(50):
        assert depth(600) == 600
    assert library.frame_chunks_kept() == kept, "the kept chunks are used again, not more mapped"


def test_other_memory_goes_to_cpythons_allocator_as_before() -> None:
    """Arenas (1 MiB) are not kept: many objects made and dropped come and go through the previous allocator."""
    assert frame_chunks.install()
    for _ in range(5):
        objects = [object() for _ in range(500_000)]
        assert len(objects) == 500_000
        del objects
        gc.collect()
    assert depth(500) == 500


def test_a_module_runs_under_the_allocator_as_python_m_runs_it() -> None:
    plain = subprocess.run([sys.executable, "-m", "platform"], capture_output=True, text=True, check=True)
    wrapped = subprocess.run([sys.executable, "-m", "tests.support.frame_chunks", "platform"], cwd=ROOT,
                             capture_output=True, text=True, check=True)
    assert wrapped.stdout == plain.stdout and plain.stdout.strip()
    arguments = subprocess.run(
        [sys.executable, "-m", "tests.support.frame_chunks", "json.tool", "--sort-keys"], cwd=ROOT,
        input='{"b": 1, "a": 2}', capture_output=True, text=True, check=True)
    assert arguments.stdout.splitlines() == ["{", '    "a": 2,', '    "b": 1', "}"]
