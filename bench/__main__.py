"""`make bench` / `python -m bench [NAME ...]`: every benchmark (or those named) with its defaults,
each reporting ratios against a baseline measured in the same process.
`python -m bench NAME [--option ...] [--json]`: one benchmark with its own options.

Each bench/bench_NAME.py has `run(**options) -> dict` (its figures) and `summary(result) -> str`
(one or a few lines); it may have `arguments(parser)` to declare its options. Results also go to
bench/out/NAME.json; with --json the last line printed is that result as one JSON object.
"""
import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def parse(argv) -> tuple[list[str], dict, bool]:
    """(benchmark names, options for the one named, --json)."""
    names = [a for a in argv if not a.startswith("-")]
    options = [a for a in argv if a.startswith("-")]
    if not options:
        return names or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py")), {}, False
    name, rest = argv[0], argv[1:]
    mod = importlib.import_module(f"bench.bench_{name}")
    p = argparse.ArgumentParser(prog=f"python -m bench {name}", description=mod.__doc__.strip().splitlines()[0])
    p.add_argument("--json", action="store_true", help="make the last line the result as one JSON object")
    if hasattr(mod, "arguments"):
        mod.arguments(p)
    opts = vars(p.parse_args(rest))
    return [name], opts, opts.pop("json")


def main(argv):
    if argv and argv[0].startswith("-"):
        print("usage: python -m bench [NAME ...] | python -m bench NAME [--option ...] [--json]", file=sys.stderr)
        return 2
    names, options, as_json = parse(argv)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    failed = 0
    for name in names:
        mod = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}: {mod.__doc__.strip().splitlines()[0]}", flush=True)
        t0 = time.perf_counter()
        try:
            result = mod.run(**options)
        except Exception as e:  # report and go on to the next benchmark
            failed += 1
            print(f"   FAILED: {type(e).__name__}: {e}", flush=True)
            if as_json:
                print(json.dumps({"error": f"{type(e).__name__}: {e}", "passed": False}), flush=True)
            continue
        (out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(mod.summary(result), flush=True)
        print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
        if as_json:
            print(json.dumps(result, default=str), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
