"""`python -m mnist37 train | sweep | inspect | bench | predict`: the command-line view of the same core.

Bad input gets one clear line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from . import data as datamod
from . import weights as weightsmod
from .config import FIELDS, TrainConfig
from .train import Trainer


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def _finite_or_none(v):
    """Non-finite floats -> None, in nested dicts and lists (strict JSON has no NaN or Infinity)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite_or_none(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite_or_none(x) for x in v]
    return v


def print_json(obj) -> None:
    """One line of strict JSON; a number that is NaN or infinite is written as null."""
    print(json.dumps(_finite_or_none(obj), allow_nan=False), flush=True)


def _check_out(out: str) -> None:
    """Refuse an --out that cannot be written, before hours of training are spent on it."""
    p = Path(out)
    if p.is_dir():
        raise CliError(f"--out {out} is a folder; give a file name, e.g. {p / 'model.pt'}")
    folder = p.parent
    if not folder.is_dir():
        raise CliError(f"--out {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise CliError(f"--out {out}: no permission to write there")


def _add_config_flags(p: argparse.ArgumentParser, skip: tuple = ()) -> None:
    """One flag per TrainConfig field (but `skip`), with its default and help from the dataclass."""
    for name, f in FIELDS.items():
        m, kind = f.metadata, type(f.default)
        if name in skip:
            continue
        if name == "source":
            p.add_argument("--source", default=f.default, metavar="embedded|mnist|PATH", help=m["help"])
        elif kind is bool:
            p.add_argument(f"--{name.replace('_', '-')}", action="store_true", help=m["help"])
        else:
            p.add_argument(f"--{name}", type=kind, default=f.default,
                           choices=m.get("choices") if name != "source" else None,
                           help=f"{m['help']} (default {f.default})")


def _config(args) -> TrainConfig:
    try:
        return TrainConfig(**{n: getattr(args, n) for n in FIELDS if hasattr(args, n)})
    except ValueError as e:
        raise CliError(str(e)) from e


def _load_data(source: str) -> datamod.Dataset:
    try:
        ds = datamod.load(source)
    except datamod.DataError as e:
        raise CliError(str(e)) from e
    if ds.notice:
        print(ds.notice, file=sys.stderr)
    return ds


class _Progress:
    """A one-line progress bar on a terminal; a line per epoch otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.tty = total, stream, stream.isatty()

    def __call__(self, t: Trainer):
        h = t.epochs[-1]
        acc = t.history()["valid_accuracy"][-1]
        text = (f"epoch {t.epoch:>3}/{self.total}  train_loss {h.train_loss:.4f}  "
                f"valid_loss {h.valid_loss:.4f}  valid_accuracy {acc:.4f}")
        if self.tty:
            filled = round(30 * t.epoch / self.total)
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}", end="", file=self.stream, flush=True)
            if t.epoch >= self.total:
                print(file=self.stream)
        else:
            print(text, file=self.stream, flush=True)


def _save_elsewhere(w, b, cfg: TrainConfig) -> str:
    """Keep trained weights that could not be written where asked: in a new temporary file."""
    try:
        fd, path = tempfile.mkstemp(prefix="mnist37-", suffix=".pt")
        with os.fdopen(fd, "wb") as f:
            f.write(weightsmod.to_bytes(w, b, cfg))
    except OSError as e:
        return f"nor in a temporary file ({e.strerror or e}), so the weights are lost"
    return f"the weights are in {path} instead"


def cmd_train(args) -> int:
    cfg = _config(args)
    if args.out:
        _check_out(args.out)
    ds = _load_data(cfg.source)
    cfg = replace(cfg, source=ds.source)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, ds).run(on_epoch=_Progress(cfg.epochs))
    seconds = time.perf_counter() - t0
    if trainer.status == "diverged":
        print(trainer.message, file=sys.stderr)
    result = {**trainer.summary(), "seconds": round(seconds, 4), "lr": cfg.lr, "bs": cfg.bs,
              "loss": cfg.loss, "positive": cfg.positive, "threshold": cfg.threshold}
    if args.json:
        print_json(result)
    else:
        print(f"valid_accuracy {result['valid_accuracy']:.4f} after {trainer.epoch} epochs "
              f"({result['n_train']} train / {result['n_valid']} valid digits, {ds.source}) "
              f"in {seconds:.2f}s")
    if args.out:
        w, b = trainer.params()
        try:
            weightsmod.save(args.out, w, b, cfg)
        except OSError as e:  # checked before training, but a disk can fill up meanwhile
            raise CliError(f"could not write {args.out} ({e.strerror or e}); "
                           f"{_save_elsewhere(w, b, cfg)}") from e
        print(f"wrote {args.out}", file=sys.stderr)
    return 1 if trainer.status == "diverged" else 0


def cmd_sweep(args) -> int:
    from .sweep import sweep

    cfg = _config(args)
    ds = _load_data(cfg.source)
    cfg = replace(cfg, source=ds.source)

    def progress(done, total, r):  # the table itself, or progress on stderr before the JSON line
        print(f"[{done:>2}/{total}] lr {r.lr:<6g} valid_accuracy {r.valid_accuracy:.4f}  valid_loss "
              f"{r.valid_loss:.4f}" + ("  diverged" if r.diverged else ""),
              file=sys.stderr if args.json else sys.stdout, flush=True)

    t0 = time.perf_counter()
    runs = sweep(cfg, ds, on_run=progress)
    seconds = time.perf_counter() - t0
    if args.json:
        settings = {n: getattr(cfg, n) for n in FIELDS if n != "lr"}
        print_json({"runs": [r.to_json() for r in runs], "seconds": round(seconds, 4), **settings,
                    "n_train": ds.n_train, "n_valid": ds.n_valid})
    else:
        print(f"{len(runs)} learning rates, {cfg.epochs} epochs each from seed {cfg.seed} "
              f"({ds.n_train} train / {ds.n_valid} valid digits, {ds.source}) in {seconds:.2f}s")
    return 0


def cmd_bench(args) -> int:
    from .bench import bench_trainer

    if args.repeats < 1:
        raise CliError(f"--repeats must be at least 1, not {args.repeats}")
    ds = _load_data(args.source)
    r = bench_trainer(ds, TrainConfig(source=ds.source), repeats=args.repeats)
    if args.json:
        print_json(r)
    else:
        print(f"plain lesson loop: {r['plain_seconds'] * 1000:.1f} ms   "
              f"Trainer: {r['trainer_seconds'] * 1000:.1f} ms   "
              f"ratio trainer/plain: {r['ratio']:.3f}  "
              f"(medians of {r['repeats']} back-to-back pairs, {r['n_train']} train digits, {r['source']})")
    return 0


def cmd_inspect(args) -> int:
    w, b, cfg = weightsmod.load(args.weights)
    info = {"file": args.weights, "weights_shape": [784, 1], "bias": b, "n_numbers": w.size + 1,
            "weights_min": float(w.min()), "weights_max": float(w.max()),
            "weights_mean": float(w.mean()), "config": (vars(cfg) if cfg else None)}
    if args.json:
        print_json(info)
    else:
        print(f"{args.weights}: 784 weights (min {info['weights_min']:.4f}, max {info['weights_max']:.4f}, "
              f"mean {info['weights_mean']:.4f}) and a bias of {b:.4f}: {info['n_numbers']} numbers")
        if cfg:
            print(f"trained with {cfg}")
    return 0


def predict_file(path: str, weights, bias: float, threshold: float, positive: int) -> dict:
    """One image file through the Draw page's preprocessing and the model: a result or an error."""
    from .inference import infer
    from .preprocess import PreprocessError, preprocess_bytes, read_file

    try:
        prep = preprocess_bytes(read_file(path))
    except OSError as e:
        return {"file": path, "error": f"cannot read the file: {e.strerror or e}"}
    except PreprocessError as e:
        return {"file": path, "error": str(e)}
    if prep is None:
        return {"file": path, "error": "no digit: the image is blank"}
    inf = infer(prep.x, weights, bias, threshold, positive)
    return {"file": path, "logit": round(inf.logit, 6), "probability": round(inf.probability, 6),
            "decision": str(inf.decision)}


def cmd_predict(args) -> int:
    w, b, cfg = weightsmod.load(args.weights)
    positive = cfg.positive if cfg else 3
    threshold = args.threshold if args.threshold is not None else (cfg.threshold if cfg else 0.0)
    if not math.isfinite(threshold):
        raise CliError(f"--threshold must be a finite number, not {threshold}")
    failed = 0
    for path in args.images:
        r = predict_file(path, w, b, threshold, positive)
        failed += "error" in r
        if args.json:
            print_json(r)
        elif "error" in r:
            print(f"{path}\terror: {r['error']}", flush=True)
        else:
            print(f"{path}\tlogit {r['logit']:+.4f}\tprobability {r['probability']:.4f}\t"
                  f"decision {r['decision']}", flush=True)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mnist37", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train the lesson's model and report its accuracy")
    _add_config_flags(t)
    t.add_argument("--out", metavar="FILE", help="write the weights (a torch state file)")
    t.add_argument("--json", action="store_true", help="end with one JSON line of results")
    t.set_defaults(func=cmd_train)

    i = sub.add_parser("inspect", help="check a weights file and show its 785 numbers in brief")
    i.add_argument("weights", metavar="WEIGHTS")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_inspect)

    r = sub.add_parser("predict", help="read digits from image files with a weights file",
                       description="Each image goes through the Draw page's preprocessing (crop, scale "
                                   "to 20 px, centre by centre of mass in 28x28, /255). Prints file, "
                                   "logit, probability and decision per image, or an error; exit code 1 "
                                   "if any image could not be read.")
    r.add_argument("weights", metavar="WEIGHTS", help="a weights file (python -m mnist37 train --out FILE)")
    r.add_argument("images", metavar="IMAGE", nargs="+", help="PNG or JPEG files of one digit each")
    r.add_argument("--threshold", type=float, default=None,
                   help="decision threshold on the logit (default: the one saved with the weights, else 0)")
    r.add_argument("--json", action="store_true", help="one JSON object per line")
    r.set_defaults(func=cmd_predict)

    s = sub.add_parser("sweep", help="train the same settings at every learning rate from 0.001 to 10",
                       description="Trains the settings at each learning rate of the Train page's grid "
                                   "(0.001 ... 10), from the same seed (the same initial weights and "
                                   "mini-batches), each for the full epochs; reports final valid accuracy "
                                   "and loss per learning rate and whether the run diverged.")
    _add_config_flags(s, skip=("lr",))
    s.add_argument("--json", action="store_true",
                   help="end with one JSON line: runs (lr, valid_accuracy, valid_loss, diverged) and seconds")
    s.set_defaults(func=cmd_sweep)

    b = sub.add_parser("bench", help="time the Trainer against the plain lesson loop")
    b.add_argument("--source", default="embedded", metavar="embedded|mnist|PATH")
    b.add_argument("--repeats", type=int, default=7)
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)
    return p




def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with one usage line on bad flags
    try:
        return args.func(args)
    except (CliError, weightsmod.WeightsError, datamod.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
