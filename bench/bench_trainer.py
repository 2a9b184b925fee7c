"""Trainer vs the plain lesson loop: same data, seed and SGD, timed in one process (goal ratio <= 1.15)."""
from mnist37 import data
from mnist37.bench import bench_trainer


def run() -> dict:
    return bench_trainer(data.load_embedded(), repeats=21)


def summary(r: dict) -> str:
    return (f"   plain lesson loop {r['plain_seconds'] * 1000:.1f} ms, Trainer {r['trainer_seconds'] * 1000:.1f} ms"
            f" (medians of {r['repeats']} back-to-back pairs): ratio {r['ratio']:.3f} (goal <= 1.15)")
