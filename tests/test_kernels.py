"""Kernels forked from the fork server: a fresh one per notebook, sharing nothing, and none
outliving the worker that asked for it or the server; their files in the run's folder."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from run_fixtures import OK, set_default

from earnings_brief import kernels, pipeline

PROBE = """
import os, sys
imported = "pandas" in sys.modules and "earnings_brief.notebook" in sys.modules
import numpy
draw = numpy.random.random()
import earnings_brief
left = getattr(earnings_brief, "left_by_a_notebook", None)
earnings_brief.left_by_a_notebook = os.getpid()
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "imported": imported, "left": left,
                  "path": sys.path, "cwd": os.getcwd(), "draw": draw}))
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
    kernels.stop()
    started = _probe(tmp_path, "started")  # by Popen, as without a server
    kernels.ensure()
    first, second = _probe(tmp_path, "first"), _probe(tmp_path, "second")
    assert first["pid"] != second["pid"]
    assert first["ppid"] == second["ppid"] == kernels.current().process.pid
    assert first["imported"] and second["imported"] and not started["imported"]  # the server's
    assert first["left"] is None and second["left"] is None  # nothing carried over
    assert first["draw"] != second["draw"]  # numpy's random state is each kernel's own
    assert first["path"] == started["path"] and first["cwd"] == started["cwd"]


def test_the_kernel_spec_is_forked_whichever_name_this_interpreter_goes_by(tmp_path, monkeypatch):
    real = tmp_path / "python3.11"
    real.touch()
    (tmp_path / "python").symlink_to(real.name)
    (tmp_path / "python3").symlink_to(real.name)
    other = tmp_path / "other-env"
    other.mkdir()
    (other / "python").symlink_to(real)  # another environment, the same interpreter
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python3"))  # as a Dask worker's
    spec = ["-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"]
    assert kernels._ipykernel_argv([str(tmp_path / "python"), *spec]) == [
        "ipykernel_launcher", "-f", "k.json",
    ]  # fmt: skip
    assert kernels._ipykernel_argv([str(other / "python"), *spec]) is None
    assert kernels._ipykernel_argv([str(tmp_path / "python"), "-m", "other_kernel"]) is None


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


# --- the kernels' files ---------------------------------------------------------------------


def test_kernels_use_ipc_sockets_with_a_path_each(tmp_path):
    """Parallel kernels over TCP could pick the same port ("Address already in use")."""
    manager = kernels.ipc_kernel_manager(str(tmp_path))
    first, second = manager(), manager()
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip
    assert all(m.ip.startswith(str(tmp_path)) for m in (first, second))
    assert all(Path(m.connection_file).parent == tmp_path for m in (first, second))


def _job(folder: Path, notebook: Path) -> pipeline.Job:
    output = folder / "run" / "revenue.ipynb"
    return pipeline.Job("revenue", str(notebook), str(output), {}, str(folder), "")


def _kernel_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_kernel_files_live_in_the_run_folder_and_are_removed(tmp_path, monkeypatch):
    """The connection file holds the kernel's HMAC key: never in the shared temporary folder."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    nb = tmp_path / "slow.ipynb"
    shutil.copy(OK, nb)
    set_default(nb, "delay", 3.0)
    job = _job(tmp_path, nb)
    folder = kernels.kernel_dir(job.output)
    seen: list[str] = []
    with ThreadPoolExecutor(1) as caller, ThreadPoolExecutor(1) as worker:
        future = caller.submit(pipeline.run, [job], worker)
        while not future.done():
            seen = _kernel_files(folder) or seen
            time.sleep(0.1)
    assert future.result()[0].status == "executed"
    assert any(n.startswith("kernel-") and n.endswith(".json") for n in seen), seen
    assert sum(n.startswith("k-") for n in seen) == 5, seen  # shell, iopub, stdin, control, hb
    assert not folder.exists() and list(private_tmp.iterdir()) == []


def test_a_long_run_folder_gets_a_short_socket_link_that_goes_with_it(tmp_path):
    deep = tmp_path / ("deep-" * 20)
    deep.mkdir()
    job = _job(deep, OK)
    folder = kernels.kernel_dir(job.output)
    base = kernels.socket_base(folder)
    assert base != folder and len(str(base)) + 21 <= kernels.SOCKET_PATH_MAX
    assert pipeline.execute(job).status == "executed"  # the kernel bound its sockets
    kernels.remove_kernel_dir(folder)
    assert not base.is_symlink() and not folder.exists()


def test_the_next_run_removes_what_a_killed_run_left(tmp_path):
    runs = tmp_path / ("runs-" * 20)
    left = [runs / run_id / kernels.KERNELS for run_id in ("20250101T000000.00Z", "x")]
    for folder in left:
        base = kernels.open_kernel_dir(folder)
        (folder / "kernel-0123.json").write_text('{"key": "secret"}')
    assert base.is_symlink()
    assert kernels.clean_kernels(runs) == sorted(left)
    assert not any(f.exists() for f in left) and not base.is_symlink()


async def _ready_kernel(folder: Path, kill_first: bool = False) -> list[dict]:
    """Start a kernel, wait until it is ready, run one cell; the cell's IOPub messages."""
    manager = kernels.ipc_kernel_manager(str(folder))(kernel_name="python3")
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        if kill_first:
            await manager.provisioner.kill()
            await manager.provisioner.wait()
        await client.wait_for_ready(timeout=30)
        messages = []
        await client.execute_interactive("print('ready')", output_hook=messages.append)
        return messages
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


def test_a_kernel_is_ready_once_it_has_answered_on_both_channels(tmp_path):
    """The client does not wait for IOPub to fall silent, and the first cell's output is the
    cell's own: nothing from the handshake is left in the channel."""
    import asyncio

    folder = kernels.open_kernel_dir(tmp_path / "kernels")
    client = kernels.ipc_kernel_manager(str(folder))().client()
    assert type(client) is kernels.ready_client()
    messages = asyncio.run(_ready_kernel(folder))
    streams = [m["content"]["text"] for m in messages if m["msg_type"] == "stream"]
    assert streams == ["ready\n"]


def test_waiting_for_a_dead_kernel_says_so(tmp_path):
    import asyncio

    folder = kernels.open_kernel_dir(tmp_path / "kernels")
    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(_ready_kernel(folder, kill_first=True))
