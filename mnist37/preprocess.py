"""A drawing or a photo of a digit -> the 28x28 input the model sees, made the way MNIST was made.

MNIST's recipe (LeCun, Cortes, Burges): white ink on black; the digit's bounding box scaled so its
longer side is 20 px, keeping the aspect ratio, with anti-aliasing (grey levels, no binarising);
placed in a 28x28 field so that its centre of mass is at the centre (row 14, column 14: the mean
centre of mass of the embedded sample's digits). Then `/255`, exactly as in training.

A linear model has no translation or scale invariance: a digit drawn small, big or off-centre lands
on the wrong weights unless it goes through these steps.
"""
from __future__ import annotations

import io
import math
import os
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image

SIZE = 28  # the field
BOX = 20  # the longer side of the digit's box
CENTRE = 14.0  # where the centre of mass goes (row, column)
MAX_BYTES = 10 * 1024 * 1024  # uploads above this are refused (a photo of a digit is far smaller)
MAX_PIXELS = 50_000_000  # refuse images larger than this (decompression bombs)
WORK_SIDE = 1024  # bigger images are first box-reduced to about this size (the result is 20 px)
INK_LEVEL = 0.1  # a pixel is ink (for the bounding box) above this fraction of the brightest ink
MIN_CONTRAST = 40  # ink must stand this far (of 255) above the background, else "no digit"
MIN_SIDE = 8  # a narrower or lower image has no room for a digit
MIN_INK_SIDE = 6  # ink whose box is shorter than this on its longer side is a speck, not a digit
MIN_INK_PIXELS = 10  # ...and so is ink that covers fewer pixels than this


class PreprocessError(ValueError):
    """An image that cannot be used; the message is one clear sentence."""


@dataclass(frozen=True)
class Preprocessed:
    """The model's input and how it was made from the source image."""

    x: np.ndarray  # (28, 28) float32 in [0, 1]: the 28x28 pixels /255
    box: tuple[int, int, int, int]  # the ink's bounding box in the source: (top, left, bottom, right), exclusive
    source_size: tuple[int, int]  # (height, width) of the source image
    scaled: tuple[int, int]  # (height, width) of the digit after scaling (longer side 20)
    inverted: bool  # the source was dark ink on a light background

    @property
    def x784(self) -> np.ndarray:
        """`x.view(-1, 28*28)` for one image: (784,)."""
        return self.x.reshape(SIZE * SIZE)

    def describe(self) -> str:
        t, l, b, r = self.box
        inv = "inverted to white-on-black, " if self.inverted else ""
        return (f"{inv}cropped to the ink ({r - l}×{b - t} px of {self.source_size[1]}×{self.source_size[0]}), "
                f"scaled to {self.scaled[1]}×{self.scaled[0]}, centred by centre of mass in 28×28, /255")


def read_image(data: bytes) -> Image.Image:
    """Bytes of a PNG/JPEG/... -> a loaded PIL image, or PreprocessError with one clear sentence."""
    if len(data) > MAX_BYTES:
        raise PreprocessError(f"the file is {len(data) / 2**20:.1f} MB; images up to "
                              f"{MAX_BYTES // 2**20} MB are accepted")
    if not data:
        raise PreprocessError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_PIXELS:
                raise PreprocessError(f"the image is {img.width}×{img.height} pixels; "
                                      f"at most {MAX_PIXELS // 10**6} megapixels are accepted")
            img.load()
    except PreprocessError:
        raise
    except Image.UnidentifiedImageError:
        raise PreprocessError("this is not an image Pillow can read (use a PNG or JPEG)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PreprocessError(f"the image is too large; at most {MAX_PIXELS // 10**6} megapixels "
                              "are accepted") from None
    # What Pillow's decoders raise on truncated or corrupt data (TypeError and OverflowError from
    # TIFF offsets that are not integers or do not fit)
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, OverflowError, struct.error) as e:
        raise PreprocessError(f"the image file is damaged or truncated ({e})") from None
    return img


def _fill_non_finite(a: np.ndarray) -> np.ndarray:
    """NaN and infinite pixels become the background: the median of the finite border pixels."""
    finite = np.isfinite(a)
    if finite.all():
        return a
    if not finite.any():
        raise PreprocessError("every pixel of the image is NaN or infinite")
    border = np.concatenate([v[m] for v, m in ((a[0], finite[0]), (a[-1], finite[-1]),
                                               (a[:, 0], finite[:, 0]), (a[:, -1], finite[:, -1]))])
    return np.where(finite, a, np.median(border) if border.size else np.median(a[finite]))


def _convert(img: Image.Image, mode: str) -> Image.Image:
    """`img.convert(mode)`, or through RGB or LA for modes Pillow only converts that way (LAB, La)."""
    for via in (None, "RGB", "LA"):
        try:
            return img.convert(mode) if via is None else img.convert(via).convert(mode)
        except ValueError:  # Pillow: "conversion from X to Y not supported"
            continue
    raise PreprocessError(f"Pillow cannot turn an image in colour mode {img.mode} into grey "
                          "levels (save it as an RGB or greyscale PNG)")


def luminance(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """A PIL image in any mode -> (luminance 0..255 float32 (H, W), alpha 0..1 float32 or None).

    Images bigger than WORK_SIDE are box-reduced first. PreprocessError for a mode that has no
    grey levels."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):  # 16-bit, 32-bit or float greyscale
        a = _fill_non_finite(np.asarray(img, dtype=np.float32))
        top = 1.0 if a.max() <= 1.0 else (255.0 if a.max() <= 255 else 65535.0)
        img = Image.fromarray((a * (255.0 / top)).clip(0, 255).astype(np.uint8))
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info
    img = _convert(img, "RGBA" if has_alpha else "L")
    side = max(img.size)
    if side > WORK_SIDE:  # box-average down first: the result is 20 px, and this keeps memory small
        img = img.reduce(math.ceil(side / WORK_SIDE))
    a = np.asarray(img, dtype=np.float32)
    if not has_alpha:
        return a, None
    lum = a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114
    return lum, a[..., 3] / 255.0


def _from_array(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(H, W), (H, W, 3) or (H, W, 4) uint8 0..255 or float 0..1 -> (luminance, alpha or None)."""
    a = np.asarray(a)
    is_float = np.issubdtype(a.dtype, np.floating)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or a.size == 0:
        raise PreprocessError(f"an image array must be (H, W), (H, W, 3) or (H, W, 4); got {a.shape}")
    a = a.astype(np.float32)
    a = _fill_non_finite(a)
    if is_float and a.max() <= 1.0:  # floats in 0..1
        a = a * 255.0
    a = a.clip(0, 255)
    if a.ndim == 2:
        return a, None
    if a.shape[2] == 1:
        return a[..., 0], None
    lum = a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114
    return lum, (a[..., 3] / 255.0 if a.shape[2] == 4 else None)


def ink_image(image) -> tuple[np.ndarray, bool]:
    """Any image -> (ink (H, W) float32, 0 = background, bright = ink; whether it was inverted).

    Transparency: composite the opaque parts onto a background that contrasts with them (a
    canvas's white strokes on a transparent background go onto black; black strokes onto white).
    Polarity: the border's median is the background; a light background means dark ink: invert.
    The background level is then subtracted, so a grey photo of paper becomes black.
    """
    if isinstance(image, Image.Image):
        lum, alpha = luminance(image)
    else:
        lum, alpha = _from_array(image)
    if alpha is not None and (alpha < 1.0).any():
        weight = alpha.sum()
        if weight == 0:  # fully transparent: nothing drawn
            return np.zeros_like(lum), False
        ink_is_light = float((lum * alpha).sum() / weight) >= 127.5
        lum = lum * alpha + (0.0 if ink_is_light else 255.0) * (1.0 - alpha)
    border = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
    background = float(np.median(border))
    inverted = background > 127.5
    if inverted:
        lum, background = 255.0 - lum, 255.0 - background
    return np.clip(lum - background, 0.0, None).astype(np.float32), inverted


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the pixels brighter than INK_LEVEL x the brightest; None if no ink."""
    top_level = float(ink.max()) if ink.size else 0.0
    if top_level < MIN_CONTRAST:
        return None
    rows = np.flatnonzero((ink > INK_LEVEL * top_level).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL * top_level).any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean position of a 2-D image."""
    total = float(x.sum())
    rows, cols = np.indices(x.shape)
    return float((rows * x).sum() / total), float((cols * x).sum() / total)


def scale_to_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale so the longer side is `box` px, keeping the aspect ratio, with Lanczos anti-aliasing."""
    h, w = crop.shape
    if h >= w:
        size = (max(1, round(w * box / h)), box)
    else:
        size = (box, max(1, round(h * box / w)))
    out = Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.LANCZOS)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, None)  # Lanczos rings slightly below 0


def centre_in_field(digit: np.ndarray, size: int = SIZE, centre: float = CENTRE) -> np.ndarray:
    """Paste `digit` into a size x size field, shifted by whole pixels so its centre of mass is
    as close to (centre, centre) as it can be without cutting off any ink."""
    h, w = digit.shape
    cy, cx = centre_of_mass(digit)
    top = int(np.clip(round(centre - cy), 0, size - h))
    left = int(np.clip(round(centre - cx), 0, size - w))
    field = np.zeros((size, size), np.float32)
    field[top:top + h, left:left + w] = digit
    return field


# EXIF orientation -> the turn that makes the image upright (as ImageOps.exif_transpose does it)
_TURNS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
          5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
          8: Image.Transpose.ROTATE_90}


def upright(img: Image.Image) -> Image.Image:
    """The image turned the way up it was taken (a phone photo's EXIF orientation).

    Not ImageOps.exif_transpose: it also rewrites the EXIF block, which raises (struct.error,
    TypeError) on a damaged one whose orientation is still readable."""
    orientation = img.getexif().get(ExifTags.Base.Orientation)
    turn = _TURNS.get(orientation) if isinstance(orientation, int) else None
    return img.transpose(turn) if turn is not None else img


def _source_box(image, ink: np.ndarray, box) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """(height, width) of the source and the ink's box in it (a huge image was reduced first)."""
    if not isinstance(image, Image.Image):
        return ink.shape, box
    t, l, b, r = box
    full_h, full_w = image.height, image.width
    sy, sx = full_h / ink.shape[0], full_w / ink.shape[1]
    return (full_h, full_w), (int(t * sy), int(l * sx), min(full_h, math.ceil(b * sy)),
                              min(full_w, math.ceil(r * sx)))


def check_size(height: int, width: int) -> None:
    """PreprocessError for an image with no room for a digit."""
    if min(height, width) < MIN_SIDE:
        raise PreprocessError(f"the image is {width}×{height} pixels; a digit needs at least "
                              f"{MIN_SIDE}×{MIN_SIDE}")


def check_ink(ink: np.ndarray, source_box: tuple[int, int, int, int]) -> None:
    """PreprocessError for ink too small or too sparse to be a digit (a speck of dust, a dot)."""
    t, l, b, r = source_box
    if max(b - t, r - l) < MIN_INK_SIDE:
        raise PreprocessError(f"the ink is only {r - l}×{b - t} pixels: too small to be a digit "
                              "(draw it bigger)")
    n = int((ink > INK_LEVEL * ink.max()).sum())
    if n < MIN_INK_PIXELS:
        raise PreprocessError(f"only {n} pixels are ink: too few to be a digit (draw it bigger)")


def preprocess(image) -> Preprocessed | None:
    """A PIL image or an array (canvas RGBA, greyscale, RGB) -> the model's input, or None if there
    is no ink ("draw a digit"). PreprocessError (one sentence) for an image too small to hold a
    digit, ink too small to be one, or a PIL mode with no grey levels."""
    if isinstance(image, Image.Image):
        image = upright(image)
    ink, inverted = ink_image(image)
    check_size(*(ink.shape if not isinstance(image, Image.Image) else (image.height, image.width)))
    box = ink_box(ink)
    if box is None:
        return None
    source, source_box = _source_box(image, ink, box)
    check_ink(ink, source_box)
    t, l, b, r = box
    digit = scale_to_box(ink[t:b, l:r])
    if digit.max() <= 0:
        return None
    digit = digit * (255.0 / digit.max())  # MNIST digits' brightest pixel is 255 (thin strokes too)
    field = centre_in_field(digit)
    x = np.clip(np.round(field), 0, 255).astype(np.float32) / 255  # uint8 levels, like MNIST, then /255
    return Preprocessed(x, source_box, source, digit.shape, inverted)


def read_file(path) -> bytes:
    """The bytes of an image file, reading no more than MAX_BYTES + 1 (a device or a huge file is
    refused, not read whole); OSError when it cannot be read."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size  # 0 for a device or a pipe: then read up to the limit
        data = b"" if size > MAX_BYTES else f.read(size + 1 if size else MAX_BYTES + 1)
    if max(size, len(data)) > MAX_BYTES:
        raise PreprocessError(f"the file is larger than {MAX_BYTES // 2**20} MB, the most accepted for an image")
    return data


def preprocess_bytes(data: bytes) -> Preprocessed | None:
    """Bytes of an image file -> `preprocess`; PreprocessError for unreadable or oversized files."""
    return preprocess(read_image(data))
