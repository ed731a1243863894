"""Turning an uploaded photo into pixels safely: size limits are checked before decoding.

A small compressed file can claim an enormous image (a 1 MB PNG of 20000x20000 pixels); the
header is read first (Pillow reads it lazily) and such a photo is refused before any pixel is
decoded.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt

from epitrace.app.errors import TooLarge

MAX_PHOTO_PIXELS = 40_000_000
"""Largest photo accepted (40 Mpx: any real camera photo, far below what would exhaust memory)."""


def decode_photo(data: bytes, *, max_pixels: int = MAX_PHOTO_PIXELS) -> npt.NDArray[np.uint8]:
    """BGR pixels of a JPEG or PNG photo.

    Raises:
        ValueError: Not a readable image.
        TooLarge: More pixels than `max_pixels` (checked from the header, before decoding).
    """
    import cv2
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValueError("the photo is empty: send a JPEG or PNG file")
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except Image.DecompressionBombError as exc:  # Pillow's own guard, far above ours
        raise TooLarge(f"the photo claims too many pixels; the limit is {max_pixels // 1_000_000} megapixels: "
                       "send a smaller photo") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("the photo is not a readable image (JPEG or PNG)") from exc
    if width * height > max_pixels:
        raise TooLarge(f"the photo is {width}x{height} pixels; the limit is {max_pixels // 1_000_000} megapixels: "
                       "send a smaller photo")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("the photo is not a readable image (JPEG or PNG)")
    return np.asarray(image, np.uint8)
