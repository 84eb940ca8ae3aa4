"""Uploaded files: accepted only when their extension, content and size agree with a rule;
stored under generated names in the upload folder, never under the name the user sent."""

import logging
import os
import secrets
import shutil
import struct
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from flask import current_app

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
HEAD = 4096  # bytes read to recognise a file type


class UploadError(ValueError):
    """An upload refused, with the reason in Chinese; nothing was stored."""


@dataclass(frozen=True)
class FileType:
    """An accepted file type: the Content-Type we send and how its content must begin."""

    name: str
    content_type: str
    magic: bytes
    offset: int = 0
    # Office Open XML: the folder the zip must hold (word/, ppt/, xl/).
    ooxml_folder: str | None = None
    # Bytes that must also appear in the head (WebM's DocType, distinguishing it from MKV).
    marker: bytes | None = None


_ZIP = b"PK\x03\x04"
_OOXML = "application/vnd.openxmlformats-officedocument."


@dataclass(frozen=True)
class UploadRule:
    """What one kind of upload accepts: types by extension, and the largest size."""

    label: str
    types: Mapping[str, FileType]
    max_bytes: int

    def allowed(self) -> str:
        """The accepted extensions, for messages."""
        return "、".join(ext.upper() for ext in self.types if ext != "jpeg")


PDF = FileType("PDF", "application/pdf", b"%PDF-")
JPG = FileType("JPG", "image/jpeg", b"\xff\xd8\xff")
ATTACHMENTS = UploadRule(
    "附件",
    {
        "pdf": PDF,
        "docx": FileType("DOCX", _OOXML + "wordprocessingml.document", _ZIP, ooxml_folder="word/"),
        "pptx": FileType("PPTX", _OOXML + "presentationml.presentation", _ZIP, ooxml_folder="ppt/"),
        "xlsx": FileType("XLSX", _OOXML + "spreadsheetml.sheet", _ZIP, ooxml_folder="xl/"),
        "png": FileType("PNG", "image/png", b"\x89PNG\r\n\x1a\n"),
        "jpg": JPG,
        "jpeg": JPG,
    },
    20 * 1024 * 1024,
)
VIDEOS = UploadRule(
    "视频",
    {
        "mp4": FileType("MP4", "video/mp4", b"ftyp", offset=4),
        "webm": FileType("WebM", "video/webm", b"\x1a\x45\xdf\xa3", marker=b"webm"),
    },
    200 * 1024 * 1024,
)
MATERIALS = UploadRule(
    "入党材料",
    {
        "pdf": PDF,
        "docx": ATTACHMENTS.types["docx"],
        "png": ATTACHMENTS.types["png"],
        "jpg": JPG,
        "jpeg": JPG,
    },
    20 * 1024 * 1024,
)
# A thought report (思想汇报) handed in as a file; plain text has no signature to check, and is
# served as text/plain for download only, never shown inline (werkzeug adds "; charset=utf-8"
# to a text/ type itself: naming it here too sent it twice).
REPORT_FILES = UploadRule(
    "思想汇报文件",
    {
        "pdf": PDF,
        "docx": ATTACHMENTS.types["docx"],
        "jpg": JPG,
        "jpeg": JPG,
        "png": ATTACHMENTS.types["png"],
        "txt": FileType("TXT", "text/plain", b""),
    },
    10 * 1024 * 1024,
)
CONTENT_TYPES = {
    ext: t.content_type
    for rule in (ATTACHMENTS, VIDEOS, REPORT_FILES)
    for ext, t in rule.types.items()
}


@dataclass(frozen=True)
class StoredFile:
    """An accepted upload: its generated name in the upload folder, and what the user sent."""

    stored_name: str
    original_name: str
    content_type: str
    size: int


def upload_folder() -> Path:
    """The configured upload folder, created on first use."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clean_filename(name: str | None) -> str:
    """The user's file name without any path and control characters, at most 200 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "file"
    if len(name) > 200:
        suffix = PurePosixPath(name).suffix[:20]
        name = name[: 200 - len(suffix)] + suffix
    return name


def _extension(filename: str) -> str:
    return PurePosixPath(filename).suffix.lower().removeprefix(".")


def _size_label(size: int) -> str:
    return f"{size // 1024**2} MB" if size >= 1024**2 else f"{size // 1024} KB"


def _generated_name(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def _matches(file_type: FileType, head: bytes, path: Path) -> bool:
    magic = head[file_type.offset : file_type.offset + len(file_type.magic)]
    if magic != file_type.magic:
        return False
    if file_type.marker is not None and file_type.marker not in head:
        return False
    if file_type.ooxml_folder is not None:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
        folder = file_type.ooxml_folder
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    return True


def _copy_limited(source: BinaryIO, target: Path, max_bytes: int) -> int:
    """Copy a stream to a file chunk by chunk; stop as soon as it is larger than allowed."""
    size = 0
    with target.open("xb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                return size
            out.write(chunk)
    return size


def store_upload(upload, rule: UploadRule, folder: Path | None = None) -> StoredFile:
    """Check an uploaded file's type (extension and content) and size, then store it.

    `upload` is a werkzeug FileStorage. Raises UploadError, leaving nothing on disk.
    """
    folder = folder or upload_folder()
    original = clean_filename(upload.filename)
    extension = _extension(original)
    file_type = rule.types.get(extension)
    if file_type is None:
        shown = f"“.{extension}”" if extension else "（无扩展名）"
        raise UploadError(f"不支持的文件类型{shown}：{rule.label}只能是 {rule.allowed()} 格式")
    stored_name = _generated_name("jpg" if extension == "jpeg" else extension)
    partial = folder / f".{stored_name}.part"
    try:
        size = _copy_limited(upload.stream, partial, rule.max_bytes)
        if size > rule.max_bytes:
            raise UploadError(f"{rule.label}不能超过 {_size_label(rule.max_bytes)}")
        if size == 0:
            raise UploadError("文件是空的，请重新选择")
        with partial.open("rb") as stored:
            head = stored.read(HEAD)
        if not _matches(file_type, head, partial):
            raise UploadError(f"文件内容与扩展名不符：这不是有效的 {file_type.name} 文件")
        os.replace(partial, folder / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(stored_name, original, file_type.content_type, size)


def copy_stored(stored_name: str | None, folder: Path | None = None) -> str | None:
    """Copy a stored file to a new generated name; None when there is nothing to copy."""
    if not stored_name:
        return None
    folder = folder or upload_folder()
    source = folder / stored_name
    if not source.is_file():
        log.warning("stored file %s is missing; not copied", stored_name)
        return None
    copy_name = _generated_name(_extension(stored_name))
    shutil.copyfile(source, folder / copy_name)
    return copy_name


def remove_files(stored_names: Iterable[str | None], folder: Path | None = None) -> None:
    """Delete stored files no row refers to any more; call it after the commit."""
    folder = folder or upload_folder()
    for name in stored_names:
        if name and "/" not in name and "\\" not in name and not name.startswith("."):
            (folder / name).unlink(missing_ok=True)


def content_type_of(stored_name: str) -> str:
    """The Content-Type of a stored file, from its generated (validated) extension."""
    return CONTENT_TYPES.get(_extension(stored_name), "application/octet-stream")


def mp4_duration(path: Path) -> int | None:
    """The length in whole seconds of an MP4 file, from its movie header (mvhd); None when it
    cannot be read (not MP4, or an unusual layout)."""
    try:
        with path.open("rb") as stream:
            return _mvhd_seconds(stream, path.stat().st_size)
    except (OSError, ValueError, struct.error):
        return None


def _mvhd_seconds(stream, end: int, depth: int = 0) -> int | None:
    while stream.tell() + 8 <= end and depth < 4:
        start = stream.tell()
        size, kind = struct.unpack(">I4s", stream.read(8))
        if size == 1:
            size = struct.unpack(">Q", stream.read(8))[0]
        elif size == 0:
            size = end - start
        if size < 8:
            return None
        if kind == b"moov":
            return _mvhd_seconds(stream, start + size, depth + 1)
        if kind == b"mvhd":
            version = stream.read(4)[0]
            if version == 1:
                _, _, scale, duration = struct.unpack(">QQIQ", stream.read(28))
            else:
                _, _, scale, duration = struct.unpack(">IIII", stream.read(16))
            return round(duration / scale) if scale else None
        stream.seek(start + size)
    return None
