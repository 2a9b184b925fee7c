"""mnist37.torch_thread: the live views' torch work on one long-lived thread."""
import subprocess
import sys
import threading

import pytest

from harness.server import ROOT
from mnist37 import torch_thread


def test_work_from_many_threads_runs_on_one_other_thread():
    seen = []

    def caller():
        seen.append(torch_thread.run(threading.get_ident))

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen.append(torch_thread.run(threading.get_ident))
    assert len(set(seen)) == 1
    assert seen[0] != threading.get_ident()


def test_result_arguments_and_exception_come_back_to_the_caller():
    assert torch_thread.run(pow, 2, 10) == 1024
    assert torch_thread.run(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]
    with pytest.raises(ZeroDivisionError):
        torch_thread.run(divmod, 1, 0)


def test_a_call_from_the_torch_thread_runs_inline_instead_of_waiting_for_itself():
    assert torch_thread.run(lambda: torch_thread.run(threading.get_ident)) == torch_thread.run(threading.get_ident)


def test_the_torch_thread_uses_one_intra_op_thread():
    # In a fresh process: this one may have set torch's (process-wide) count elsewhere already.
    code = ("import torch; from mnist37 import torch_thread; torch.set_num_threads(2); "
            "print(torch_thread.run(torch.get_num_threads))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
