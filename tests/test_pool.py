"""The model pool's handling of memory."""
from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.models.pool import _glibc

BUFFER_MB = 96  # above what glibc would ever keep by itself (32 MB), as an encoder batch's activations are
PAGES = BUFFER_MB * 256

# A worker thread, as a model's, allocates the same large buffer five times; prints the page faults it took.
FIVE_BUFFERS = f"""
import ctypes, resource, sys, threading
from pipeline.models.pool import reuse_freed_memory
if sys.argv[1] == "reuse":
    reuse_freed_memory()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def work():
    for _ in range(5):
        buffer = libc.malloc({BUFFER_MB} << 20)
        ctypes.memset(buffer, 1, {BUFFER_MB} << 20)
        libc.free(buffer)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
thread = threading.Thread(target=work)
thread.start()
thread.join()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", FIVE_BUFFERS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(_glibc() is None, reason="the allocator is tuned on glibc only")
def test_freed_buffers_are_reused_instead_of_faulted_in_again() -> None:
    assert page_faults("default") > 4 * PAGES  # each buffer mapped afresh: the reason for the tuning
    assert page_faults("reuse") < 2 * PAGES  # the first one only
