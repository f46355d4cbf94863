"""Kernels forked from the fork server: a fresh one per notebook, sharing nothing, and none
outliving the worker that asked for it or the server."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import nbformat
import pytest

from earnings_brief import kernels, pipeline

PROBE = """
import os, sys
imported = "pandas" in sys.modules and "earnings_brief.notebook" in sys.modules
import earnings_brief
left = getattr(earnings_brief, "left_by_a_notebook", None)
earnings_brief.left_by_a_notebook = os.getpid()
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "imported": imported, "left": left}))
"""


@pytest.fixture
def server():
    kernels.stop()
    yield kernels.ensure()
    kernels.stop()


def _probe(tmp_path: Path, name: str) -> dict:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import json\n" + PROBE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / f"{name}-source.ipynb"
    nbformat.write(nb, source)
    job = pipeline.Job(name, str(source), str(tmp_path / "run" / f"{name}.ipynb"), {}, "", "")
    assert pipeline.execute(job).status == "executed"
    (output,) = nbformat.read(job.output, as_version=4).cells[0].outputs
    return json.loads(output["text"])


def test_each_notebook_gets_a_fresh_kernel_forked_from_the_server(tmp_path, server):
    first, second = _probe(tmp_path, "first"), _probe(tmp_path, "second")
    assert first["pid"] != second["pid"]
    assert first["ppid"] == second["ppid"] == server.process.pid
    assert first["imported"] and second["imported"]  # paid once, by the server
    assert first["left"] is None and second["left"] is None  # nothing carried over


def _ask_for_a_kernel(folder: str, told) -> None:
    process = kernels.current().launch(
        ["ipykernel_launcher", "-f", str(Path(folder) / "kernel.json")],
        env=dict(os.environ), cwd=folder, stdout=1, stderr=2,
    )  # fmt: skip
    told.send(process.pid)
    time.sleep(120)


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfd and fork are Linux's")
def test_a_kernel_leaves_with_its_worker_and_the_server_with_its_owner(tmp_path, server):
    receive, told = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(
        target=_ask_for_a_kernel, args=(str(tmp_path), told)
    )
    worker.start()
    assert receive.poll(60), "no kernel forked"
    kernel = receive.recv()
    os.kill(worker.pid, signal.SIGKILL)  # as a build's pool worker dies with it
    worker.join()
    assert _gone(kernel, within=10)

    orphan = server.launch(
        ["ipykernel_launcher", "-f", str(tmp_path / "orphan.json")],
        env=dict(os.environ), cwd=str(tmp_path), stdout=1, stderr=2,
    )  # fmt: skip
    assert orphan.poll() is None
    kernels.stop()  # the owner goes: the server kills its kernels and removes its socket
    assert orphan.wait(10) is not None and _gone(orphan.pid, within=10)
    assert server.process.poll() is not None and not server.folder.exists()
    assert kernels.current() is None
