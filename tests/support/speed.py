"""What the suite's processes make once instead of once per test module: botocore's service models (each new
boto3 session reads and parses the JSON of every service it makes a client for; the app and the provisioning
make new sessions for every module's fresh moto) and the parsed template; and what botocore makes again for
every request though it comes out the same (`cheaper_botocore_requests`)."""

from __future__ import annotations

import copy
import functools
from typing import Any

_shared: dict[tuple[Any, ...], Any] = {}

BOTOCORE_VERSION = "1.44.5"
#: sha256 of the source of each botocore function `cheaper_botocore_requests` wraps or relies on (botocore
#: 1.44.5; checked by tests/infra/test_moto_pins.py): a botocore that changed underneath fails the suite.
PINNED_SOURCES = {
    "botocore.useragent.UserAgentComponent.to_string":
        "7dddccc7dff2478bdbf8d697cdd8c5dba7d8e65a6ab13998155eb97307a04089",
    "botocore.useragent.UserAgentComponent._truncate_string":
        "b295a82d263411ef9f8723f6db996d280030600796b10b62d15aa3fe88cfcd5e",
    "botocore.useragent.sanitize_user_agent_string_component":
        "c5afb479948c4ea822529e4f72416194fd3a37fb9f28f36d06009ba15c51e8f3",
}


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


#: A User-Agent component's text by its fields (at most a few dozen distinct ones in a process).
_component_texts: dict[tuple[Any, ...], str] = {}


def cheaper_botocore_requests() -> None:
    """botocore writes the User-Agent header twice per request, each time sanitizing every component (about 24)
    character by character: a tenth of a request's cost against moto in-process. A component's text depends
    on its fields only (prefix, name, value and the size limit's numbers), so each distinct one is written once;
    the header is the same string as before (tests/infra/test_botocore_speed.py)."""
    from botocore.useragent import UserAgentComponent

    if getattr(UserAgentComponent, "_dossier_cached", False):
        return
    original = UserAgentComponent.to_string

    def to_string(self: Any) -> str:
        size = self.size_config
        key = (self.prefix, self.name, self.value,
               None if size is None else (size.max_size_in_bytes, size.delimiter))
        try:
            text = _component_texts.get(key)
        except TypeError:  # a field that cannot be a key: written as botocore writes it
            return original(self)
        if text is None:
            text = original(self)
            if len(_component_texts) < 4096:
                _component_texts[key] = text
        return text

    cached = functools.wraps(original)(to_string)
    cached.__dossier_original__ = original  # type: ignore[attr-defined]
    setattr(UserAgentComponent, "to_string", cached)  # noqa: B010 - mypy refuses assigning a method
    UserAgentComponent._dossier_cached = True  # type: ignore[attr-defined]


def plain_botocore_requests() -> None:
    """botocore as it was (the tests compare both)."""
    from botocore.useragent import UserAgentComponent

    if getattr(UserAgentComponent, "_dossier_cached", False):
        setattr(UserAgentComponent, "to_string", getattr(UserAgentComponent.to_string, "__dossier_original__"))  # noqa: B009, B010
        UserAgentComponent._dossier_cached = False  # type: ignore[attr-defined]


@functools.cache
def _parsed_template() -> dict[str, Any]:
    from infra.local.provision import TEMPLATE_PATH, load_template

    return getattr(load_template, "__dossier_original__", load_template)(TEMPLATE_PATH)


def template() -> dict[str, Any]:
    """infra/template.yaml as `provision` reads it (a copy: provisioning may not change the parsed one)."""
    return copy.deepcopy(_parsed_template())


def share_template() -> None:
    """`provision.load_template()` answers with a copy of the template parsed once (for a process that resolves
    the stack's resource names again and again: the helper commands' process)."""
    from infra.local import provision

    original = provision.load_template
    if getattr(original, "__dossier_original__", None) is not None:
        return

    def load_template(path: Any = provision.TEMPLATE_PATH) -> dict[str, Any]:
        return template() if path == provision.TEMPLATE_PATH else original(path)

    load_template.__dossier_original__ = original  # type: ignore[attr-defined]  # read back by _parsed_template
    provision.load_template = load_template
