"""Staff-defined regular expressions, run on RE2: linear time whatever the pattern, no backtracking.

Patterns are compiled on first use and cached, never at import time.
"""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.attributes.models import MAX_PATTERN_CHARS

_MAX_PROGRAM_BYTES = 1 << 20


class PatternError(ValueError):
    pass


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    import re2

    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"at most {MAX_PATTERN_CHARS} characters")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _MAX_PROGRAM_BYTES
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        message = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"not a supported regular expression ({message}); lookarounds and "
                           "backreferences are not available") from exc


def full_match(pattern: str, value: str) -> bool:
    return compile_pattern(pattern).fullmatch(value) is not None
