import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.datasets import MNIST

from mnist37 import data
from tests.helpers import write_sample_folder, write_tiny_mnist


def test_embedded_sample_is_real_mnist_3s_and_7s():
    ds = data.load("embedded")
    assert ds.source == "embedded" and not ds.notice
    for x, y in ((ds.x_train, ds.y_train), (ds.x_valid, ds.y_valid)):
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
        assert set(np.unique(y)) == {3, 7}
    total = {d: int((ds.y_train == d).sum() + (ds.y_valid == d).sum()) for d in (3, 7)}
    assert total[3] >= 1000 and total[7] >= 1000
    # MNIST digits: a dark frame and bright ink with anti-aliased edges (not binarised)
    assert ds.x_train[:, 0, :].max() == 0
    assert len(np.unique(ds.x_train[0])) > 10
    # train and valid share no image
    train = {img.tobytes() for img in ds.x_train}
    assert not any(img.tobytes() in train for img in ds.x_valid)


def test_tensors_follow_the_lesson():
    ds = data.load_embedded()
    tx, ty, vx, vy = ds.tensors(positive=3)
    assert tx.shape == (ds.n_train, 784) and ty.shape == (ds.n_train, 1)
    assert tx.dtype == torch.float32 and 0 <= tx.min() and tx.max() == 1
    assert torch.equal(ty.squeeze(1), torch.from_numpy(ds.y_train == 3).float())
    _, ty7, _, _ = ds.tensors(positive=7)
    assert torch.equal(ty7, 1 - ty)
    with pytest.raises(ValueError):
        ds.tensors(positive=5)


def test_torchvision_source_reads_idx_files_and_keeps_only_3s_and_7s(tmp_path):
    counts = write_tiny_mnist(tmp_path)
    ds = data.load_torchvision(tmp_path, download=True)  # files exist: no download is attempted
    assert ds.source == "mnist"
    assert ds.n_train == counts["train"][3] + counts["train"][7]
    assert ds.n_valid == counts["test"][3] + counts["test"][7]
    assert set(np.unique(ds.y_train)) == {3, 7}
    emb = data.load_embedded()
    assert np.array_equal(ds.x_train[ds.y_train == 7], emb.x_train[emb.y_train == 7][:15])


def test_no_network_falls_back_to_the_embedded_sample_with_one_sentence(tmp_path, monkeypatch):
    # A mirror on a closed local port: the download fails at once, as it does without a network.
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])
    ds = data.load("mnist", root=tmp_path / "empty")
    assert ds.source == "embedded" and ds.n_train == data.load_embedded().n_train
    assert ds.notice.startswith("Could not download full MNIST")
    assert "embedded sample" in ds.notice and "\n" not in ds.notice and "Traceback" not in ds.notice
    with pytest.raises(data.DataError):
        data.load("mnist", root=tmp_path / "empty", fallback=False)


def test_folder_source_in_mnist_sample_layout(tmp_path):
    root = write_sample_folder(tmp_path / "mnist_sample", n=6)
    ds = data.load(str(root))
    assert (ds.n_train, ds.n_valid) == (12, 12)
    assert ds.source == str(root)
    emb = data.load_embedded()
    assert np.array_equal(ds.x_train[:6], emb.x_train[emb.y_train == 3][:6])


def test_bad_folders_raise_one_clear_error(tmp_path):
    with pytest.raises(data.DataError, match="no such folder"):
        data.load(str(tmp_path / "nope"))
    (tmp_path / "flat").mkdir()
    with pytest.raises(data.DataError, match="MNIST_SAMPLE layout"):
        data.load(str(tmp_path / "flat"))
    root = write_sample_folder(tmp_path / "broken", n=1)
    (root / "valid" / "7" / "0.png").write_bytes(b"not a png")
    with pytest.raises(data.DataError, match="not a readable image"):
        data.load(str(root))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height but holds almost no pixel data: Pillow reads its size
    when it opens it, and refuses or decodes it only on load."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(64)))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [8_000, 20_000])  # above preprocess.MAX_PIXELS; 20000² also above Pillow's bomb limit
def test_a_huge_image_in_a_folder_is_one_sentence_naming_the_file(tmp_path, side):
    root = write_sample_folder(tmp_path / "s", n=2)
    (root / "train" / "3" / "big.png").write_bytes(png_header(side, side))
    with pytest.raises(data.DataError, match=r"big\.png is not a readable image: .*megapixels") as e:
        data.load(str(root))
    assert "\n" not in str(e.value)


def test_any_pil_mode_in_a_folder_is_read_as_grey_levels(tmp_path):
    """LAB (which Pillow converts only to RGB) and 16-bit images are read as grey levels."""
    root = write_sample_folder(tmp_path / "s", n=2)
    first = root / "train" / "3" / "0.png"
    grey = np.asarray(Image.open(first))
    Image.fromarray(grey).convert("RGB").convert("LAB").save(first, format="TIFF")  # keeps its .png name
    big = root / "train" / "3" / "1.png"  # a 56x56 16-bit version of the second digit: scaled back to 28x28
    Image.fromarray(np.asarray(Image.open(big).resize((56, 56), Image.NEAREST)).astype(np.uint16) * 257).save(big)
    ds = data.load(str(root))
    emb = data.load_embedded()
    assert np.abs(ds.x_train[0].astype(int) - grey).max() <= 2  # LAB -> RGB -> L rounds a little
    assert np.abs(ds.x_train[1].astype(int) - emb.x_train[emb.y_train == 3][1]).mean() < 3


def test_subfolders_and_hidden_files_named_like_images_are_skipped(tmp_path):
    root = write_sample_folder(tmp_path / "s", n=3)
    (root / "train" / "7" / "extra.png").mkdir()  # a folder, not an image
    (root / "valid" / "3" / "._0.png").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    ds = data.load(str(root))
    assert (ds.n_train, ds.n_valid) == (6, 6)


def test_an_unlistable_folder_is_one_sentence(tmp_path, monkeypatch):
    from pathlib import Path

    root = write_sample_folder(tmp_path / "s", n=1)

    def iterdir(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(data.DataError, match="cannot list .*train/3: Permission denied"):
        data.load(str(root))


def test_damaged_full_mnist_files_fall_back_with_one_sentence(tmp_path):
    """Truncated IDX files and headers whose shapes do not fit: never a traceback."""
    import struct

    write_tiny_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    images = raw / "train-images-idx3-ubyte"
    good = images.read_bytes()
    n = struct.unpack(">I", good[4:8])[0]
    damaged = {
        "truncated": good[:1000],
        "bad magic": b"\x00\x00\x07\x03" + good[4:],
        "784x1 images": good[:4] + struct.pack(">III", n, 784, 1) + good[16:],
        "more images than labels": good[:4] + struct.pack(">I", n + 1) + good[8:] + bytes(784),
    }
    for why, data_ in damaged.items():
        images.write_bytes(data_)
        with pytest.raises(data.DataError) as e:
            data.load_torchvision(tmp_path, download=False)
        assert "\n" not in str(e.value), why
        ds = data.load("mnist", root=tmp_path)
        assert ds.source == "embedded" and ds.notice, why
