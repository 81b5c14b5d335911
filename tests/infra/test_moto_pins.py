"""Every patch of moto outside infra/local/moto_patches.py (that one pins its own sources, checked in
tests/infra/test_moto_patches.py) is pinned here: the source of each moto function it wraps or relies on, read
from the installed moto's files, so a patch applied in this process cannot hide a change. A moto that changed
underneath a patch fails here; read the patch again against the new source before renewing its pin."""

from __future__ import annotations

import ast
import hashlib
import importlib.util

import pytest

from infra.local import moto_patches, moto_s3_events, moto_server, outbox

PINS = {
    **moto_s3_events.PINNED_SOURCES,
    **outbox.PINNED_SOURCES,
    **moto_server.PINNED_SOURCES,
    # tests/conftest.py (_serialize_moto_requests) runs it under a lock.
    "moto.core.botocore_stubber.BotocoreStubber.process_request":
        "284293283769d268518f5ff61b9606c661585076b72a488e70844f01f3ad1acf",
    # tests/infra/test_identity.py fixes the clock it reads (`utils.time`).
    "moto.cognitoidp.utils.verify_totp": "98875e1ca0a8cfe33a701cf8bfedb9a0d52a954a54596b661e80b2cc80ecf4c0",
}


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent of `name` is a module, not a package
        return False


def source_hash(qualified_name: str) -> str:
    """sha256 of a moto function's source as its file holds it (`module.function` or `module.Class.method`)."""
    parts = qualified_name.split(".")
    # The module is the longest prefix that names one (the rest is a class and its method, or a function).
    cut = next(cut for cut in range(len(parts) - 1, 0, -1) if _is_module(".".join(parts[:cut])))
    spec = importlib.util.find_spec(".".join(parts[:cut]))
    assert spec is not None and spec.origin, qualified_name
    with open(spec.origin, encoding="utf-8") as file:
        source = file.read()
    node: ast.AST = ast.parse(source)
    for name in parts[cut:]:
        node = next(child for child in getattr(node, "body", [])
                    if isinstance(child, ast.ClassDef | ast.FunctionDef) and child.name == name)
    segment = ast.get_source_segment(source, node)
    assert segment is not None, qualified_name
    return hashlib.sha256(segment.encode()).hexdigest()


def test_moto_is_the_version_the_patches_were_written_for() -> None:
    import moto

    assert moto.__version__ == moto_patches.MOTO_VERSION


@pytest.mark.parametrize("name", sorted(PINS))
def test_each_moto_function_a_patch_wraps_or_relies_on_is_unchanged(name: str) -> None:
    assert source_hash(name) == PINS[name]


def test_a_pin_reads_the_file_so_a_patch_in_this_process_does_not_hide_a_change() -> None:
    # Given the S3 patch applied in this process (the class now holds the wrapper)
    moto_s3_events.apply()
    from moto.s3.models import S3Backend

    assert S3Backend.delete_object.__module__ == moto_s3_events.__name__
    # Then the pin still reads moto's own function, and two functions never share a hash
    assert source_hash("moto.s3.models.S3Backend.delete_object") == PINS["moto.s3.models.S3Backend.delete_object"]
    assert len(set(map(source_hash, PINS))) == len(PINS)
