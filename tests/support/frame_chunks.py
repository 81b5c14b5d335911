"""Keeping CPython's frame-stack chunks in the test processes (tests/support/frame_chunks.c says why).

`install()` compiles the C file once per source and Python version with the system's C compiler (`make test`
installs gcc when there is none) into the virtual environment and puts its allocator in place through ctypes.
Without a compiler the suite runs as before, only slower. Nothing the tests check depends on it: it changes
where CPython gets memory for its frames, not what any code does.

`python -m tests.support.frame_chunks <module> [arguments]` runs a module as `python -m <module>` would, with
the allocator in place (the local stacks the browser tests start).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

SOURCE = Path(__file__).with_suffix(".c")


class ArenaAllocator(ctypes.Structure):
    """CPython's PyObjectArenaAllocator."""

    _fields_ = [("ctx", ctypes.c_void_p), ("alloc", ctypes.c_void_p), ("free", ctypes.c_void_p)]


_installed: list[ctypes.CDLL] = []


def _library() -> Path | None:
    """The compiled library, built on first use; None without a C compiler."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source + sys.version.encode()).hexdigest()[:16]
    folder = Path(sys.prefix) / "dossier-build"
    target = folder / f"frame_chunks-{digest}.so"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A file of this process's own, then renamed: test workers starting together may build it at once.
        handle, partial = tempfile.mkstemp(dir=folder, suffix=".so")
        os.close(handle)
    except OSError as exc:
        warnings.warn(f"frame chunks are not kept ({folder} is not writable: {exc})", stacklevel=2)
        return None
    try:
        subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", partial, str(SOURCE)], check=True,
                       capture_output=True, timeout=60)
        os.replace(partial, target)
    except (OSError, subprocess.SubprocessError) as exc:
        warnings.warn(f"frame chunks are not kept (the C file did not compile: {exc})", stacklevel=2)
        return None
    finally:
        Path(partial).unlink(missing_ok=True)
    return target


def install() -> bool:
    """The allocator in place for this process (once); False where it cannot be (no compiler, not CPython)."""
    if _installed:
        return True
    if sys.implementation.name != "cpython" or not sys.platform.startswith("linux"):
        return False
    path = _library()
    if path is None:
        return False
    library = ctypes.CDLL(str(path))
    previous = ArenaAllocator()
    ctypes.pythonapi.PyObject_GetArenaAllocator(ctypes.byref(previous))
    library.frame_chunks_wrap(ctypes.byref(previous))
    replacement = ArenaAllocator(None, ctypes.cast(library.frame_chunks_alloc, ctypes.c_void_p),
                                 ctypes.cast(library.frame_chunks_free, ctypes.c_void_p))
    ctypes.pythonapi.PyObject_SetArenaAllocator(ctypes.byref(replacement))
    _installed.append(library)  # the library stays loaded while CPython calls into it
    return True


if __name__ == "__main__":
    install()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
