"""The customer archive: every file streamed into a ZIP, then `customer.json`.

The archive is written to a non-seekable stream (an S3 multipart upload), so entries carry data
descriptors and the central directory comes last; no file is ever held in memory as a whole.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Protocol

from chalicelib import clock
from chalicelib.exports.dossier import Dossier
from chalicelib.files.models import StoredFile
from chalicelib.storage.objects import ObjectMissingError

DOCUMENT_NAME = "customer.json"
#: Kinds already compressed (PDF, images, office files, archives) are stored; the rest is deflated.
_DEFLATE_PREFIXES = ("text/", "application/json", "application/xml", "image/svg", "image/bmp", "image/tiff")
#: Above this size an entry gets ZIP64 headers from the start (its final size may differ from the record).
_ZIP64_FROM = 1 << 30

ReadChunks = Callable[[StoredFile], Iterator[bytes]]


def _date_time(moment: str) -> tuple[int, int, int, int, int, int]:
    parsed = clock.parse(moment)
    return max(parsed.year, 1980), parsed.month, parsed.day, parsed.hour, parsed.minute, parsed.second


class ArchiveTarget(Protocol):
    """Where an archive goes: a file, a buffer, or an S3 multipart upload (what zipfile writes to)."""

    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def write_archive(target: ArchiveTarget, dossier: Dossier, read: ReadChunks) -> int:
    """Write the archive to `target`; the number of files it holds (besides customer.json)."""
    included = 0
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for entry in dossier.archived:
            file = entry.file
            chunks = read(file)
            try:
                first = next(chunks, b"")
            except ObjectMissingError:
                dossier.mark_missing(file.id)  # deleted since it was listed
                continue
            info = zipfile.ZipInfo(entry.path, date_time=_date_time(file.uploaded_at))
            compressible = file.content_type.startswith(_DEFLATE_PREFIXES)
            info.compress_type = zipfile.ZIP_DEFLATED if compressible else zipfile.ZIP_STORED
            info.file_size = file.size
            with archive.open(info, "w", force_zip64=file.size >= _ZIP64_FROM) as out:
                out.write(first)
                for chunk in chunks:
                    out.write(chunk)
            included += 1
        document = json.dumps(dossier.document, ensure_ascii=False, indent=2).encode()
        info = zipfile.ZipInfo(DOCUMENT_NAME, date_time=_date_time(dossier.document["exported_at"]))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, document)
    return included
