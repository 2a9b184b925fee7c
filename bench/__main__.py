"""`make bench` / `python -m bench [NAME ...]`: every benchmark, each reporting ratios against a
baseline measured in the same process. Each bench/bench_NAME.py has `run() -> dict` (its figures)
and `summary(result) -> str` (one or a few lines). Results also go to bench/out/NAME.json.
"""
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main(argv):
    names = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    failed = 0
    for name in names:
        mod = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}: {mod.__doc__.strip().splitlines()[0]}", flush=True)
        t0 = time.perf_counter()
        try:
            result = mod.run()
        except Exception as e:  # report and go on to the next benchmark
            failed += 1
            print(f"   FAILED: {type(e).__name__}: {e}", flush=True)
            continue
        (out / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(mod.summary(result), flush=True)
        print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
