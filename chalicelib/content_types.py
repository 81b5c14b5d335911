"""Which files customers may upload (documents, images (HEIC included), office and OpenDocument files,
text and CSV, ZIP archives) and which images an account's logo may be. The declared type must agree with the
file name's extension. Shared kernel: the files domain and the account's logo both check against it."""

from __future__ import annotations

#: content type → the extensions a file of that type may have.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic",),
    "image/heif": (".heif", ".heic"),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.ms-powerpoint": (".ppt",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "application/zip": (".zip",),
    "application/x-zip-compressed": (".zip",),
}

#: Types a logo may have (shown in the portal with an <img>).
LOGO_TYPES: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
}


def extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def agrees(content_type: str, filename: str, allowed: dict[str, tuple[str, ...]] = ALLOWED_TYPES) -> bool:
    return extension(filename) in allowed.get(content_type, ())
