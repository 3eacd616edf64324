"""Resident photos: check type and size, strip EXIF (location!), re-encode with Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

MAX_PHOTOS = 9
MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 2560
_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}


def _bad(msg: str) -> InvalidInput:
    return InvalidInput(msg, fields={"photos": [msg]})


def clean_photos(files: Sequence) -> list[ContentFile]:
    """Validated, re-encoded copies without metadata. Raises InvalidInput, saves nothing."""
    files = [f for f in files if f]
    if len(files) > MAX_PHOTOS:
        raise _bad(f"最多上传{MAX_PHOTOS}张照片")
    out = []
    for n, f in enumerate(files, start=1):
        size = getattr(f, "size", None)
        if size is None:
            f.seek(0, 2)
            size = f.tell()
        if size > MAX_BYTES:
            raise _bad(f"第{n}张照片超过{MAX_BYTES // 1024 // 1024}MB，请压缩后再上传")
        try:
            f.seek(0)
            with Image.open(f) as probe:
                probe.verify()
            f.seek(0)
            img = Image.open(f)
            fmt = img.format
            if fmt not in _FORMATS:
                raise _bad(f"第{n}张照片格式不支持，请上传JPG、PNG或WEBP图片")
            img.load()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            raise _bad(f"第{n}张文件不是有效的图片") from None
        # Honour the camera's rotation, then drop every tag (GPS, device, time).
        img = ImageOps.exif_transpose(img)
        img.thumbnail((MAX_SIDE, MAX_SIDE))
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        buf = io.BytesIO()
        ext, mime = _FORMATS[fmt]
        if fmt == "JPEG":
            img.save(buf, "JPEG", quality=85, optimize=True)
        else:
            img.save(buf, fmt)
        cf = ContentFile(buf.getvalue(), name=f"photo{n}.{ext}")
        cf.content_type = mime
        out.append(cf)
    return out
