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


def test_one_pixel_image_and_one_pixel_dot():
    assert pp.preprocess(np.array([[255]], np.uint8)) is None  # 1x1: no room for a digit
    assert pp.preprocess(np.array([[0]], np.uint8)) is None
    assert pp.preprocess(Image.new("L", (1, 1), 255)) is None
    dot = np.zeros((9, 9), np.uint8)
    dot[2, 6] = 255
    r = pp.preprocess(dot)
    assert r.box == (2, 6, 3, 7) and r.scaled == (20, 20)


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
