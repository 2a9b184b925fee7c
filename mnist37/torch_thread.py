"""One long-lived thread for the torch work of every live view in a server process.

Streamlit runs each script run on a thread of its own, so a live view's torch work would start on
a fresh thread several times a second, and the sessions training at once would hand the GIL to
one another at every torch call (each call releases it). `run(fn, ...)` does the work on one
thread that lives as long as the process: the sessions' slices run one after another, and a
session's own thread waits on a lock meanwhile, without asking for the GIL.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

import torch

T = TypeVar("T")

_worker = threading.local()  # .yes on the torch thread


def _mark() -> None:
    _worker.yes = True
    torch.set_num_threads(1)  # for this thread's OpenMP too: small work, and the sessions share the cores


_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mnist37-torch", initializer=_mark)


def run(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` on the torch thread; its result, or its exception raised here. Keep it
    short (other sessions' views wait behind it). Called on the torch thread itself, it runs inline."""
    if getattr(_worker, "yes", False):
        return fn(*args, **kwargs)
    return _pool.submit(fn, *args, **kwargs).result()
