"""The process-wide table handle (made on first use, like the clients)."""

from __future__ import annotations

import functools

from chalicelib.settings import get_settings
from chalicelib.storage.dynamo import Table


@functools.cache
def main_table() -> Table:
    return Table(get_settings().table_name)
