"""What the suite's processes make once instead of once per test module: botocore's service models (each new
boto3 session reads and parses the JSON of every service it makes a client for; the app and the provisioning
make new sessions for every module's fresh moto) and the parsed template."""

from __future__ import annotations

import copy
import functools
from typing import Any

_shared: dict[tuple[Any, ...], Any] = {}


def share_botocore_models() -> None:
    """Every botocore loader with the same search paths answers from one cache per process. A loader already
    hands the same parsed model to every client of its session; this only stops reading it again."""
    from botocore.loaders import Loader

    if getattr(Loader, "_dossier_shared", False):
        return
    for name in ("load_service_model", "load_data_with_path"):
        original = getattr(Loader, name)

        def shared(self: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            key = (_name, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
            if key not in _shared:
                _shared[key] = _original(self, *args, **kwargs)
            return _shared[key]

        setattr(Loader, name, functools.wraps(original)(shared))
    Loader._dossier_shared = True  # type: ignore[attr-defined]


@functools.cache
def _parsed_template() -> dict[str, Any]:
    from infra.local.provision import load_template

    return load_template()


def template() -> dict[str, Any]:
    """infra/template.yaml as `provision` reads it (a copy: provisioning may not change the parsed one)."""
    return copy.deepcopy(_parsed_template())
