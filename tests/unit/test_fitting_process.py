"""The fitting process: results come back, and it never outlives the process that started it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from engage.sidecar import in_fitting_process

CHILD = """
import asyncio, os, sys
from engage.sidecar import in_fitting_process
pid = asyncio.run(in_fitting_process(os.getpid))
print(pid, flush=True)
sys.stdin.read()  # wait to be killed
"""


async def test_work_runs_in_another_process() -> None:
    assert await in_fitting_process(os.getpid) != os.getpid()
    assert await in_fitting_process(sum, [1, 2, 3]) == 6


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_fitting_process_exits_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None and parent.stdin is not None
    try:
        child = int(parent.stdout.readline())
        assert os.path.exists(f"/proc/{child}")
        parent.send_signal(signal.SIGKILL)  # no exit handlers run
        parent.wait()
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
            select.select([], [], [], 0.1)  # not time.sleep: it fails under libfaketime
        gone = not os.path.exists(f"/proc/{child}")
        if not gone:
            os.kill(child, signal.SIGKILL)
        assert gone, "the fitting process outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait()
        parent.stdout.close()
        parent.stdin.close()
