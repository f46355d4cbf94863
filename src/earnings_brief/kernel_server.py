"""The kernel fork server: a process that imports the notebooks' stack once and forks one fresh
kernel per notebook, so no kernel pays Python's start and the imports of pandas, matplotlib,
seaborn, ipykernel and this package (about 1 to 2 s each here).

``kernels.ForkServer`` starts it with a listening Unix socket (in a private folder) and the read
end of a pipe whose write end only its owner holds. Each request is one connection: a JSON
message (the kernel's argv, environment and working folder) with the kernel's stdout and stderr
as passed descriptors; the answer is the kernel's pid with a pidfd for it. The server runs no
thread and never runs notebook code, so each fork starts from the same imported, unused state:
notebooks share nothing. Numeric libraries are told to start no thread pool (the owner sets
OPENBLAS_NUM_THREADS and its kin before this process starts), since a fork copies only the thread
that calls it.

A kernel leaves with the worker that asked for it (it watches that process through a pidfd),
and the server, seeing the pipe close when its owner is gone, kills its kernels and removes its
folder: nothing outlives a killed build.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import traceback

# What every notebook and kernel imports; a module missing here would only cost its kernel the
# import. ipykernel.debugger (debugpy) is what a kernel imports as it starts (0.08 s each).
STACK = (
    "numpy", "pandas", "matplotlib.pyplot", "seaborn", "ipykernel.kernelapp",
    "ipykernel.ipkernel", "ipykernel.debugger", "earnings_brief.notebook",
    "earnings_brief.chapters.revenue",
    "earnings_brief.chapters.segments", "earnings_brief.chapters.infrastructure",
    "earnings_brief.chapters.auto",
)  # fmt: skip
# What `python -m` put first on sys.path: the server's folder, which no kernel should search.
SERVER_PATH = sys.path[0] if sys.path else ""
REAP_EVERY = 0.5  # seconds between looks for kernels that ended (the server is their parent)


def main(listen_fd: int, owner_fd: int, folder: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner decides, by its pipe or SIGTERM
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # even in the middle of the imports
    listener = socket.socket(fileno=listen_fd)
    kernels: set[int] = set()
    server = os.getpid()
    try:
        _import_stack()
        while True:
            ready, _, _ = select.select([listener, owner_fd], [], [], REAP_EVERY)
            _reap(kernels)
            if owner_fd in ready:  # end of file: every holder of the pipe's write end is gone
                return
            if listener in ready:
                connection, _ = listener.accept()
                with connection:
                    _serve(connection, listener, owner_fd, kernels)
    finally:
        if os.getpid() == server:  # not a kernel signalled before it became one
            for pid in kernels:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            shutil.rmtree(folder, ignore_errors=True)


def _import_stack() -> None:
    import importlib

    import matplotlib

    matplotlib.use("Agg")  # what earnings_brief.charts chooses; before pyplot is imported
    for name in STACK:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    # Out of the collector's sight: a kernel's collections then do not write to (and so copy)
    # every page the imports filled.
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()


def _serve(connection: socket.socket, listener: socket.socket, owner_fd: int, kernels: set):
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 2)
    try:
        request = json.loads(message)
        creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        client = struct.unpack("3i", creds)[0]
        pid = os.fork()
        if pid == 0:
            _kernel(request, fds, client, (connection, listener, owner_fd))  # never returns
        # Opened before any reaping, so the pid cannot have been reused by then.
        pidfd = os.pidfd_open(pid)
        kernels.add(pid)
        try:
            socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)
    except Exception as err:  # a bad request fails that request, never the server
        with contextlib.suppress(OSError):
            connection.send(json.dumps({"error": f"{type(err).__name__}: {err}"}).encode())
    finally:
        for fd in fds:
            os.close(fd)


def _kernel(request: dict, fds: list[int], client: int, server: tuple) -> None:
    """In the forked child: become the kernel the request describes, then exit."""
    code = 1
    try:
        connection, listener, owner_fd = server
        connection.close()
        listener.close()
        os.close(owner_fd)
        os.setsid()  # its own process group, as jupyter_client starts kernels
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        stdin = os.open(os.devnull, os.O_RDONLY)
        for target, fd in zip((0, 1, 2), (stdin, *fds), strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        if sys.path[:1] == [SERVER_PATH]:  # as ipykernel_launcher drops what `-m` put first
            del sys.path[0]
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        _fresh_state()
        _follow(client)
        atexit._clear()  # the server's exit handlers are not the kernel's
        # ipykernel read JPY_PARENT_PID when the server imported it: say who the parent is.
        program, *arguments = request["argv"]
        sys.argv = [program, f"--IPKernelApp.parent_handle={os.getppid()}", *arguments]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _fresh_state() -> None:
    """What a fork would otherwise share with its siblings: numpy's global random state, seeded
    when the server imported it (Python's own ``random`` reseeds itself after a fork)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _follow(client: int) -> None:
    """Kill this kernel (and what it started) as soon as the process that asked for it ends,
    as a kernel started by Popen leaves with its parent worker."""
    try:
        pidfd = os.pidfd_open(client)
    except ProcessLookupError:
        os._exit(1)

    def watch() -> None:
        select.select([pidfd], [], [])
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _reap(kernels: set[int]) -> None:
    for pid in list(kernels):
        try:
            ended = os.waitpid(pid, os.WNOHANG)[0]
        except ChildProcessError:
            ended = pid
        if ended:
            kernels.discard(pid)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
