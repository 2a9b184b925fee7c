"""mnist37.preprocess: a drawing or photo -> the 28x28 input, made the way MNIST was made."""
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist37 import data, preprocess as pp


def canvas(draw_fn, size=280, mode="RGBA", bg=(0, 0, 0, 255), ink=(255, 255, 255, 255)):
    """A drawing like the canvas sends: white strokes on black, RGBA, as a numpy array."""
    img = Image.new(mode, (size, size) if isinstance(size, int) else size, bg)
    draw_fn(ImageDraw.Draw(img), ink)
    return np.asarray(img)


def seven(d, ink, box=(60, 50, 220, 240), width=22):
    l, t, r, b = box
    d.line([(l, t), (r, t), (l + (r - l) * 0.35, b)], fill=ink, width=width, joint="curve")


def png_bytes(img: Image.Image, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def ink_extent(x):
    rows = np.flatnonzero(x.any(axis=1))
    cols = np.flatnonzero(x.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_28x28_between_0_and_1_with_uint8_levels():
    r = pp.preprocess(canvas(seven))
    assert r.x.shape == (28, 28) and r.x.dtype == np.float32 and r.x784.shape == (784,)
    assert r.x.min() == 0.0 and r.x.max() == 1.0  # brightest pixel 255, like every MNIST digit
    assert np.allclose(r.x * 255, np.round(r.x * 255), atol=1e-4)  # /255 of whole levels, as in training


def test_centre_of_mass_is_at_the_centre():
    r = pp.preprocess(canvas(seven))
    cy, cx = pp.centre_of_mass(r.x)
    assert abs(cy - pp.CENTRE) <= 0.5 and abs(cx - pp.CENTRE) <= 0.5  # a whole-pixel shift, as MNIST


def test_mnist_digits_are_centred_at_14_14():
    """The target (14, 14) is where MNIST itself put the centres of mass."""
    x = data.load_embedded().x_valid.astype(np.float64)
    com = np.array([pp.centre_of_mass(im) for im in x])
    assert np.allclose(com.mean(axis=0), [14.0, 14.0], atol=0.1)


def test_longer_side_is_20_and_aspect_ratio_is_kept():
    # a tall thin 7: 100 wide, 200 high -> 10 x 20
    r = pp.preprocess(canvas(lambda d, ink: seven(d, ink, box=(90, 40, 190, 240), width=16)))
    assert max(r.scaled) == 20
    h, w = r.scaled
    bt, bl, bb, br = r.box
    assert h == 20 and abs(w / h - (br - bl) / (bb - bt)) < 0.05 + 1 / 20
    # a wide bar: 200 x 40 -> 20 x 4
    wide = pp.preprocess(canvas(lambda d, ink: d.rectangle([40, 120, 239, 159], fill=ink)))
    assert wide.scaled == (4, 20)
    assert ink_extent(wide.x) == (4, 20)


def test_scaling_is_anti_aliased_not_binarised():
    r = pp.preprocess(canvas(seven))
    grey = (r.x > 0.05) & (r.x < 0.95)
    assert grey.sum() >= 10  # stroke edges come out grey


def test_empty_image_has_no_digit():
    assert pp.preprocess(canvas(lambda d, ink: None)) is None
    assert pp.preprocess(np.zeros((280, 280, 4), np.uint8)) is None  # fully transparent
    assert pp.preprocess(np.full((50, 50), 255, np.uint8)) is None  # blank white paper
    noisy = np.random.default_rng(0).integers(235, 256, (200, 200)).astype(np.uint8)
    assert pp.preprocess(noisy) is None  # paper with a little scanner noise


def test_single_dot_is_a_centred_blob():
    r = pp.preprocess(canvas(lambda d, ink: d.ellipse([30, 30, 42, 42], fill=ink)))
    assert r is not None and r.scaled == (20, 20)
    cy, cx = pp.centre_of_mass(r.x)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_images_too_small_for_a_digit_are_refused_in_one_sentence():
    for img in (np.array([[255]], np.uint8), Image.new("L", (1, 1), 255), np.zeros((7, 40), np.uint8)):
        with pytest.raises(pp.PreprocessError, match="a digit needs at least 8×8") as e:
            pp.preprocess(img)
        assert "\n" not in str(e.value)
    lit = np.zeros((1, 2), np.uint8)  # 2×1 with one lit pixel: not a digit, whatever the model says
    lit[0, 1] = 255
    with pytest.raises(pp.PreprocessError, match="2×1 pixels"):
        pp.preprocess(lit)
    with pytest.raises(pp.PreprocessError, match="2×1 pixels"):
        pp.preprocess_bytes(png_bytes(Image.fromarray(lit)))


def test_a_speck_of_ink_is_not_a_digit():
    dot = np.zeros((9, 9), np.uint8)
    dot[2, 6] = 255
    with pytest.raises(pp.PreprocessError, match="the ink is only 1×1 pixels"):
        pp.preprocess(dot)
    specks = np.zeros((100, 100), np.uint8)  # two specks far apart: a big box, but 2 pixels of ink
    specks[10, 10] = specks[90, 80] = 255
    with pytest.raises(pp.PreprocessError, match="only 2 pixels are ink"):
        pp.preprocess(specks)
    small = canvas(lambda d, ink: d.ellipse([30, 30, 33, 33], fill=ink))  # a 4 px dot on the canvas
    with pytest.raises(pp.PreprocessError, match="too small to be a digit"):
        pp.preprocess(small)


def test_every_real_mnist_digit_passes_the_sanity_checks():
    ds = data.load_embedded()
    for im in np.concatenate([ds.x_train, ds.x_valid]):
        assert pp.preprocess(im) is not None


def three(d, ink, width=22):
    d.line([(80, 65), (140, 45), (200, 75), (190, 120), (135, 140)], fill=ink, width=width, joint="curve")
    d.line([(135, 140), (200, 165), (200, 215), (140, 240), (80, 220)], fill=ink, width=width, joint="curve")


@pytest.mark.parametrize("width", [1, 2, 60, 80])
def test_very_thin_and_very_thick_strokes(width):
    normal = pp.preprocess(canvas(seven)).x
    r = pp.preprocess(canvas(lambda d, ink: seven(d, ink, width=width)))
    assert r is not None and max(r.scaled) == 20
    assert r.x.max() == 1.0  # a thin stroke is not lost in the scaling: its brightest pixel is 255
    inked = (r.x > 0.5).mean()
    assert 0.01 < inked < 0.3  # a 7, neither vanished nor a filled square
    assert max(ink_extent(r.x)) <= 20  # the digit's box, not the whole field
    assert np.corrcoef(normal.ravel(), r.x.ravel())[0, 1] > 0.45  # still the same shape


@pytest.fixture(scope="module")
def default_params():
    from mnist37.train import TrainConfig, Trainer

    return Trainer(TrainConfig(), data.load_embedded()).run().params()


@pytest.mark.parametrize("width", [2, 10, 22, 45, 80])
def test_default_model_reads_thin_and_thick_drawings(default_params, width):
    """Brush widths from 2 to 80 px on the 280 px canvas: the lesson's model (positive = 3) still
    reads the drawn 7 and 3 correctly after preprocessing."""
    w, b = default_params
    x7 = pp.preprocess(canvas(lambda d, ink: seven(d, ink, width=width))).x784
    x3 = pp.preprocess(canvas(lambda d, ink: three(d, ink, width=width))).x784
    assert x7 @ w + b < 0 < x3 @ w + b


def test_digit_in_a_corner_comes_out_like_the_centred_one():
    img = canvas(lambda d, ink: seven(d, ink, box=(100, 90, 180, 190), width=12))
    centred = pp.preprocess(img)
    t, l, b, r = centred.box
    # the same drawing moved into the top-left corner and into the bottom-right corner
    corner = pp.preprocess(np.roll(img, (-t, -l), axis=(0, 1)))
    far = pp.preprocess(np.roll(img, (280 - b, 280 - r), axis=(0, 1)))
    assert corner.box[:2] == (0, 0) and far.box[2:] == (280, 280)
    np.testing.assert_array_equal(corner.x, centred.x)
    np.testing.assert_array_equal(far.x, centred.x)


def test_rgba_with_transparency():
    """White strokes on a transparent canvas, and black strokes on one, both become white on black."""
    ref = pp.preprocess(canvas(seven)).x
    white_on_clear = pp.preprocess(canvas(seven, bg=(0, 0, 0, 0), ink=(255, 255, 255, 255)))
    black_on_clear = pp.preprocess(canvas(seven, bg=(255, 255, 255, 0), ink=(0, 0, 0, 255)))
    np.testing.assert_allclose(white_on_clear.x, ref, atol=1 / 255 + 1e-6)
    np.testing.assert_allclose(black_on_clear.x, ref, atol=1 / 255 + 1e-6)
    assert not white_on_clear.inverted and black_on_clear.inverted
    # the same through a PNG file, as an upload
    img = Image.fromarray(canvas(seven, bg=(0, 0, 0, 0), ink=(20, 20, 200, 255)), "RGBA")
    r = pp.preprocess_bytes(png_bytes(img))
    assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.95


def test_dark_on_light_is_inverted():
    ref = pp.preprocess(canvas(seven)).x
    r = pp.preprocess(canvas(seven, mode="L", bg=255, ink=0))
    assert r.inverted
    np.testing.assert_allclose(r.x, ref, atol=1 / 255 + 1e-6)
    # a grey photo of paper: the background level is taken off, the ink stretched to 255
    paper = canvas(seven, mode="RGB", bg=(200, 195, 185), ink=(60, 60, 70))
    photo = pp.preprocess_bytes(png_bytes(Image.fromarray(paper)))
    assert photo.inverted and photo.x.max() == 1.0 and photo.x[0, 0] == 0.0
    assert np.corrcoef(photo.x.ravel(), ref.ravel())[0, 1] > 0.97


def test_huge_image():
    img = Image.new("L", (6000, 5000), 255)  # a 30-megapixel photo of dark ink on paper
    ImageDraw.Draw(img).line([(1500, 1000), (4000, 1000), (2300, 4200)], fill=0, width=300)
    r = pp.preprocess(img)
    assert r.source_size == (5000, 6000) and r.inverted and max(r.scaled) == 20
    t, l, b, rr = r.box
    assert 830 <= t <= 870 and 1480 <= l <= 1520  # the strokes' top-left, in the source's pixels
    small = Image.new("L", (600, 500), 255)  # the same drawing at a tenth of the size
    ImageDraw.Draw(small).line([(150, 100), (400, 100), (230, 420)], fill=0, width=30)
    ref = pp.preprocess(small).x
    assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.95


def test_uint8_float_and_grey_arrays_agree():
    rgba = canvas(seven)
    grey = rgba[..., 0]
    a, b, c = (pp.preprocess(v).x for v in (rgba, grey, grey.astype(np.float64) / 255))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(b, c, atol=1 / 255 + 1e-6)
    with pytest.raises(pp.PreprocessError):
        pp.preprocess(np.zeros((4, 4, 2)))


def test_unreadable_files_give_one_clear_sentence():
    good = png_bytes(Image.fromarray(canvas(seven)))
    cases = {
        b"": "empty",
        b"this is not an image at all": "not an image",
        good[: len(good) // 2]: "truncated",
        b"\x00" * (pp.MAX_BYTES + 1): "MB",
    }
    for raw, words in cases.items():
        with pytest.raises(pp.PreprocessError, match=words) as e:
            pp.preprocess_bytes(raw)
        assert "\n" not in str(e.value)


def test_too_many_pixels_is_refused_before_decoding():
    img = Image.new("1", (10_000, 6_000), 1)  # 60 megapixels, tiny as a PNG
    data = png_bytes(img)
    assert len(data) < pp.MAX_BYTES
    with pytest.raises(pp.PreprocessError, match="megapixels"):
        pp.preprocess_bytes(data)


def test_jpeg_upload_of_a_dark_on_light_digit():
    img = Image.fromarray(canvas(seven, mode="RGB", bg=(255, 255, 255), ink=(0, 0, 0)))
    r = pp.preprocess_bytes(png_bytes(img, "JPEG"))
    ref = pp.preprocess(canvas(seven)).x
    assert r.inverted and np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.97


def test_exif_orientation_is_applied():
    img = Image.fromarray(canvas(seven, mode="L", bg=0, ink=255)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to view": undoes the counter-clockwise rotate(90) above
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    r = pp.preprocess_bytes(buf.getvalue())
    ref = pp.preprocess(canvas(seven)).x
    assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.95


def test_upscaled_mnist_digits_come_back_almost_unchanged():
    """A handful of the fidelity benchmark: real digits drawn at 280x280 come back close to
    themselves (the benchmark checks the accuracy on all of them)."""
    x = data.load_embedded().x_valid[:20]
    for im in x:
        big = np.asarray(Image.fromarray(im).resize((280, 280), Image.NEAREST))
        back = pp.preprocess(big).x * 255
        assert np.abs(back - im).mean() < 6  # of 255, per pixel


def test_fidelity_on_a_subset():
    """bench/bench_draw_fidelity.py on 140 digits: drawn at 280x280 and preprocessed, the default
    model loses at most 2 points against the raw digits (the benchmark runs all 420)."""
    from bench.bench_draw_fidelity import fidelity

    r = fidelity(n=140)
    assert r["raw_accuracy"] > 0.9
    assert r["raw_accuracy"] - r["drawn_accuracy"] <= 0.02 + 1e-9
    assert r["corner_preprocessed_accuracy"] > r["corner_naive_accuracy"] + 0.1


def _grey_seven() -> Image.Image:
    """Dark ink on light paper, greyscale (anti-aliased), the reference the other modes must match."""
    return Image.fromarray(canvas(seven, mode="L", bg=235, ink=20))


def _saved(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _sixteen_bit(img):
    return Image.fromarray(np.asarray(img).astype(np.uint16) * 257)


def _p_with_transparency(img):
    p = img.convert("P")
    buf = io.BytesIO()
    p.save(buf, format="PNG", transparency=255)  # palette index 255 (none of this image's greys) is clear
    return buf.getvalue()


MODES = {  # a file in each PIL mode (and format) that Pillow can open
    "LAB tif": lambda g: _saved(g.convert("RGB").convert("LAB"), "TIFF"),
    "CMYK jpg": lambda g: _saved(g.convert("CMYK"), "JPEG"),
    "CMYK tif": lambda g: _saved(g.convert("CMYK"), "TIFF"),
    "YCbCr tif": lambda g: _saved(g.convert("RGB").convert("YCbCr"), "TIFF"),
    "1-bit png": lambda g: _saved(g.convert("1", dither=Image.Dither.NONE), "PNG"),
    "P png": lambda g: _saved(g.convert("P"), "PNG"),
    "P png with transparency": _p_with_transparency,
    "LA png": lambda g: _saved(g.convert("LA"), "PNG"),
    "RGBX tif": lambda g: _saved(g.convert("RGBX"), "TIFF"),
    "I;16 png": lambda g: _saved(_sixteen_bit(g), "PNG"),
    "I tif": lambda g: _saved(g.convert("I"), "TIFF"),
    "F tif": lambda g: _saved(g.convert("F"), "TIFF"),
    "F tif 0..1": lambda g: _saved(Image.fromarray(np.asarray(g, np.float32) / 255), "TIFF"),
    "gif": lambda g: _saved(g.convert("P"), "GIF"),
    "bmp": lambda g: _saved(g, "BMP"),
    "webp": lambda g: _saved(g.convert("RGB"), "WEBP", lossless=True),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_any_pil_mode_is_read_as_grey_levels(name):
    ref = pp.preprocess(_grey_seven())
    r = pp.preprocess_bytes(MODES[name](_grey_seven()))
    assert r is not None and r.inverted
    assert np.corrcoef(r.x.ravel(), ref.x.ravel())[0, 1] > 0.95, name


@pytest.mark.parametrize("mode", ["HSV", "PA", "RGBa", "La"])
def test_modes_pillow_cannot_save_are_read_in_memory_too(mode):
    ref = pp.preprocess(_grey_seven()).x
    via = {"HSV": "RGB", "PA": "P", "RGBa": "RGBA", "La": "LA"}[mode]
    img = _grey_seven().convert(via).convert(mode)
    r = pp.preprocess(img)
    assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.95


def test_a_mode_with_no_grey_levels_is_one_sentence(monkeypatch):
    def convert(self, mode=None, *args, **kw):
        raise ValueError(f"conversion from {self.mode} to {mode} not supported")

    img = Image.new("RGB", (40, 40))
    monkeypatch.setattr(Image.Image, "convert", convert)  # a mode Pillow converts to nothing
    with pytest.raises(pp.PreprocessError, match="colour mode RGB") as e:
        pp.preprocess(img)
    assert "\n" not in str(e.value)


def test_animated_gif_is_read_from_its_first_frame():
    first, second = _grey_seven(), Image.new("L", (280, 280), 235)
    raw = _saved(first.convert("P"), "GIF", save_all=True, append_images=[second.convert("P")], duration=100)
    assert Image.open(io.BytesIO(raw)).n_frames == 2
    ref = pp.preprocess(first).x
    assert np.corrcoef(pp.preprocess_bytes(raw).x.ravel(), ref.ravel())[0, 1] > 0.95


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_float_image_with_non_finite_pixels_treats_them_as_background(bad):
    a = np.asarray(_grey_seven(), np.float32) / 255  # a float TIFF 0..1, dark ink on light paper
    a[:30, :30] = bad  # a corner of NaN (or inf)
    ref = pp.preprocess(_grey_seven()).x
    for image in (Image.fromarray(a), a, pp.read_image(_saved(Image.fromarray(a), "TIFF"))):
        r = pp.preprocess(image)
        assert r is not None and r.inverted
        assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.97


def test_an_image_of_nothing_but_nan_is_one_sentence():
    with pytest.raises(pp.PreprocessError, match="NaN"):
        pp.preprocess(Image.fromarray(np.full((40, 40), np.nan, np.float32)))


def test_reading_a_file_stops_at_the_size_limit(tmp_path):
    with pytest.raises(pp.PreprocessError, match="larger than 10 MB"):
        pp.read_file("/dev/zero")  # endless: read whole, it would never finish
    (tmp_path / "big.png").write_bytes(bytes(pp.MAX_BYTES + 1))
    with pytest.raises(pp.PreprocessError, match="larger than 10 MB"):
        pp.read_file(tmp_path / "big.png")
    (tmp_path / "ok.png").write_bytes(_saved(_grey_seven(), "PNG"))
    assert pp.preprocess_bytes(pp.read_file(tmp_path / "ok.png")) is not None


def _tiff_with_strip_offsets_of_type(type_code: int) -> bytes:
    """An uncompressed TIFF whose StripOffsets entry claims another TIFF type (a damaged file)."""
    import struct

    raw = bytearray(_saved(_grey_seven(), "TIFF"))
    ifd = struct.unpack_from("<I", raw, 4)[0]
    for i in range(struct.unpack_from("<H", raw, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", raw, entry)[0] == 0x111:  # StripOffsets
            struct.pack_into("<H", raw, entry + 2, type_code)
    return bytes(raw)


@pytest.mark.parametrize("type_code, why", [(5, "IFDRational"), (12, "float"), (16, "too large")])
def test_a_tiff_with_a_damaged_strip_offset_is_one_sentence(type_code, why):
    """RATIONAL, DOUBLE or LONG8 offsets make Pillow's load() raise TypeError or OverflowError."""
    with pytest.raises(pp.PreprocessError, match=f"damaged or truncated .*{why}") as e:
        pp.preprocess_bytes(_tiff_with_strip_offsets_of_type(type_code))
    assert "\n" not in str(e.value)


def _exif(*entries) -> bytes:
    """A little-endian EXIF block with one IFD of (tag, TIFF type, count, 4 value bytes) entries."""
    import struct

    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
    return b"Exif\0\0II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)


@pytest.mark.parametrize("broken_tag", [0x011A, 0x0100])  # XResolution, ImageWidth as text
def test_a_damaged_exif_block_still_turns_the_photo_upright(broken_tag):
    """ImageOps.exif_transpose, which rewrites the EXIF block, raises TypeError / struct.error on these."""
    import struct

    img = Image.fromarray(canvas(seven, mode="L", bg=0, ink=255)).rotate(90, expand=True)
    exif = _exif((0x0112, 3, 1, struct.pack("<H", 6)), (broken_tag, 2, 4, b"abc\0"))  # orientation 6
    r = pp.preprocess_bytes(_saved(img, "JPEG", exif=exif))
    ref = pp.preprocess(canvas(seven)).x
    assert np.corrcoef(r.x.ravel(), ref.ravel())[0, 1] > 0.95


def test_damaged_files_give_a_preprocess_error_and_nothing_else():
    """Mutated PNG, JPEG (with EXIF), GIF, TIFF, BMP and WebP files: Pillow raises many kinds of
    exceptions on them; every one becomes a one-sentence PreprocessError (or a result)."""
    import struct

    g = _grey_seven()
    exif = _exif((0x0112, 3, 1, struct.pack("<H", 6)), (0x011A, 5, 1, struct.pack("<I", 0)))
    files = [_saved(g, "PNG"), _saved(g, "JPEG", exif=exif), _saved(g.convert("P"), "GIF"),
             _saved(g, "TIFF"), _saved(g.convert("F"), "TIFF"), _saved(g, "BMP"), _saved(g, "WEBP")]
    rng = np.random.default_rng(0)
    for _ in range(700):
        data = bytearray(files[rng.integers(len(files))])
        if rng.random() < 0.3:
            data = data[:rng.integers(1, len(data))]
        near = rng.random() < 0.5  # headers, IFDs and EXIF sit in the first few hundred bytes
        for _ in range(rng.integers(1, 6)):
            data[rng.integers(min(len(data), 400) if near else len(data))] = rng.integers(256)
        try:
            pp.preprocess_bytes(bytes(data))
        except pp.PreprocessError as e:
            assert "\n" not in str(e)
