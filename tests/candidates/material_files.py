"""Small real files of every type the materials archive accepts, made on the spot."""

import io
import struct
import zipfile
import zlib

from werkzeug.datastructures import FileStorage

from partyschool.pdf import render_pdf


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose text layer holds `text`."""
    return render_pdf(f'<p style="font-family: Noto Sans CJK SC">{text}</p>')


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    """A small red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xcc\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def docx_bytes() -> bytes:
    """A minimal Word document (a zip with the parts a .docx must have)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> FileStorage:
    """What a form's file field hands a view."""
    return FileStorage(stream=io.BytesIO(data), filename=name)
