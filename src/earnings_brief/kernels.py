"""Kernels forked from a process that has already imported the notebooks' stack.

A worker (a process of the local pool, or a Dask worker) asks its ``ForkServer`` for each
notebook's kernel instead of starting Python: the server (``kernel_server``) forks a fresh child
that becomes an ipykernel on the job's connection file, runs that one notebook and exits. Start
and imports are paid once per server: once per build on the local pool (its workers inherit the
server's address), once per process on a Dask worker. ``ForkedLaunch`` plugs this into the kernel
manager papermill uses; a kernel that is not this interpreter's ipykernel, or a process without a
server, is started as before.

Whichever way it starts, a kernel talks over Unix sockets and keeps its connection file (which
holds its key) in the run's own ``kernels`` folder, removed when the run ends or by the next run.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import hashlib
import json
import os
import queue
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

# Set before the server imports numpy, so that no thread pool exists when it forks.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# The server's own environment (a kernel gets its worker's): debugpy, imported with ipykernel's
# debugger, would warn in the run's log that a debugger may miss breakpoints; none is attached.
SERVER_ENV = {**dict.fromkeys(THREAD_VARIABLES, "1"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
START_TIMEOUT = 120.0  # seconds a request may wait, the server's own imports included
SUPPORTED = hasattr(os, "pidfd_open") and hasattr(socket, "SO_PEERCRED")  # Linux
WAIT_POLL = 0.01  # seconds between looks at a kernel told to shut down (jupyter_client: 0.1)


class ForkServer:
    """The owner's handle on a kernel fork server: its address, and stopping it."""

    def __init__(self, log: Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="earnings-brief-kernels-"))  # mode 0700
        self.address = str(self.folder / "server")
        self.owner = os.getpid()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(self.address)
        listener.listen(64)  # requests queue while the server imports
        read, self._pipe = os.pipe()
        env = {**os.environ, **SERVER_ENV}
        command = [sys.executable, "-m", "earnings_brief.kernel_server",
                   str(listener.fileno()), str(read), str(self.folder)]  # fmt: skip
        try:
            with open(log or os.devnull, "ab") as sink:
                self.process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=sink if log else None,
                    stderr=sink if log else None, env=env, cwd=self.folder,
                    pass_fds=(listener.fileno(), read), start_new_session=True,
                )  # fmt: skip
        finally:
            listener.close()
            os.close(read)

    def alive(self) -> bool:
        if os.getpid() == self.owner and self.process.poll() is not None:
            return False
        return os.path.exists(self.address)  # the server removes it when it ends

    def launch(self, argv: list[str], *, env: dict, cwd: str, stdout: int, stderr: int):
        """Fork a kernel running ``argv`` (ipykernel's arguments); its stdout and stderr go to
        the given descriptors."""
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
            connection.settimeout(START_TIMEOUT)
            connection.connect(self.address)
            socket.send_fds(connection, [request], [stdout, stderr])
            message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 1)
        answer = json.loads(message or b'{"error": "the kernel fork server ended"}')
        if "error" in answer or not fds:
            for fd in fds:
                os.close(fd)
            raise RuntimeError(f"kernel fork server: {answer.get('error', 'no process')}")
        return ForkedKernel(answer["pid"], fds[0])

    def stop(self) -> None:
        """The server kills its kernels, removes its folder and exits (were this process killed,
        its pipe closing would tell the server the same)."""
        if os.getpid() != self.owner or self._pipe < 0:
            return
        os.close(self._pipe)
        self._pipe = -1
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)  # the server's own job, unless killed


class ForkedKernel:
    """What jupyter_client's provisioner uses of a Popen, for a kernel the server forked. The
    server is its parent and reaps it; here a pidfd says when it ended and signals it safely.
    Its exit status stays with the server: an ended kernel reports 0, or minus the signal this
    handle killed it with."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid, self._pidfd = pid, pidfd
        self.returncode: int | None = None
        self._signal = 0

    def poll(self) -> int | None:
        return self.wait(0) if self._ended(0) else None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self.returncode = -self._signal if self._signal else 0
            os.close(self._pidfd)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            self._signal = signum if signum in (signal.SIGKILL, signal.SIGTERM) else self._signal
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _ended(self, timeout: float | None) -> bool:
        return self.returncode is not None or bool(select.select([self._pidfd], [], [], timeout)[0])

    def __del__(self) -> None:
        if self.returncode is None:
            os.close(self._pidfd)


_server: ForkServer | None = None
_lock = threading.Lock()


def ensure(log: Path | str | None = None) -> ForkServer | None:
    """This process's server, started now if it has none: by a build before it loads its data,
    by the local pool before it forks its workers (they inherit it), by a Dask worker with its
    first notebook. Its own output goes to ``log`` (else this process's). None where Linux's
    pidfds are missing: kernels then start as jupyter_client starts them."""
    global _server
    if not SUPPORTED:
        return None
    with _lock:
        if _server is None or not _server.alive():
            _server = ForkServer(Path(log) if log else None)
            atexit.register(_server.stop)
        return _server


def stop() -> None:
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


def current() -> ForkServer | None:
    server = _server
    return server if server is not None and server.alive() else None


class ForkedLaunch:
    """Kernel manager mixin: this interpreter's ipykernel comes from the process's fork server,
    when it has one; anything else starts as jupyter_client starts it."""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        from jupyter_client.provisioning import LocalProvisioner

        server, argv = current(), _ipykernel_argv(kernel_cmd)
        descriptors = _descriptor(kw.get("stdout"), 1), _descriptor(kw.get("stderr"), 2)
        usable = isinstance(self.provisioner, LocalProvisioner) and None not in descriptors
        if server is None or argv is None or not usable:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        cwd = str(kw.get("cwd") or os.getcwd())
        env = dict(kw.get("env") or os.environ)
        process = server.launch(argv, env=env, cwd=cwd, stdout=descriptors[0],
                                stderr=descriptors[1])  # fmt: skip
        provisioner = self.provisioner
        # What LocalProvisioner.launch_kernel records of a Popen; the kernel leads its group.
        provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
        provisioner.cwd = cwd
        self._reconcile_connection_info(provisioner.connection_info)


def _ipykernel_argv(command: list[str]) -> list[str] | None:
    """ipykernel's own arguments when ``command`` runs this interpreter's ipykernel_launcher:
    the same program in the same environment's folder (a Dask worker runs ``bin/python3`` where
    the kernel spec says ``bin/python``)."""
    if not command or not _same_interpreter(command[0], sys.executable):
        return None
    for i in range(1, len(command) - 1):
        if command[i : i + 2] == ["-m", "ipykernel_launcher"]:
            return ["ipykernel_launcher", *command[i + 2 :]]
    return None


def _same_interpreter(one: str, other: str) -> bool:
    one, other = os.path.abspath(one), os.path.abspath(other)
    same_folder = os.path.dirname(one) == os.path.dirname(other)
    return same_folder and os.path.realpath(one) == os.path.realpath(other)


def _descriptor(stream, inherited: int) -> int | None:
    """A Popen stdout/stderr argument as a descriptor; None for a pipe, which a fork cannot
    give back to this process."""
    if stream is None:
        return inherited
    if isinstance(stream, int):
        return stream if stream >= 0 else None
    return stream.fileno()


# --- the kernels' files: connection files and sockets in the run's folder -------------------


KERNELS = "kernels"
# AF_UNIX socket paths hold at most 107 bytes; a socket is named <base>/k-<12 hex>-<port>.
SOCKET_PATH_MAX = 107
_SOCKET_NAME = len("/k-0123456789ab-65535")


def kernel_dir(output: str | Path) -> Path:
    """Where the kernels of a run keep their connection files and sockets: the run's own folder."""
    return Path(output).parent / KERNELS


def socket_base(folder: Path) -> Path:
    """``folder``, or a short link to it in the temporary folder when its path is too long."""
    folder = Path(folder)
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
    for base in (folder.parent, Path(tempfile.gettempdir()), Path("/tmp")):
        candidate = folder if base == folder.parent else base / f"earnings-brief-{digest}"
        if len(os.fsencode(candidate)) + _SOCKET_NAME <= SOCKET_PATH_MAX:
            return candidate
    raise OSError(errno.ENAMETOOLONG, "no folder short enough for the kernel's sockets", folder)


def open_kernel_dir(folder: Path) -> Path:
    """Create a run's kernel folder (and its short link); return the base for socket paths."""
    folder.mkdir(parents=True, exist_ok=True)
    base = socket_base(folder)
    if base != folder and not base.is_symlink():
        with contextlib.suppress(FileExistsError):  # another worker of the same run made it
            base.symlink_to(folder, target_is_directory=True)
    return base


def remove_kernel_dir(folder: Path) -> None:
    """Remove a kernel folder and its short link: connection files hold the kernel's HMAC key."""
    base = socket_base(folder)
    if base != folder and base.is_symlink():
        base.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def clean_kernels(runs_dir: Path) -> list[Path]:
    """Remove what killed runs left: kernel folders under ``runs_dir/<id>/`` (call under lock)."""
    found = sorted(Path(runs_dir).glob(f"*/{KERNELS}")) if Path(runs_dir).is_dir() else []
    for folder in found:
        remove_kernel_dir(folder)
    return found


@functools.cache
def ipc_kernel_manager(folder: str) -> type:
    """A kernel manager whose kernels talk over Unix sockets, with their files in ``folder``.

    Over TCP, kernels started at the same moment in different workers can pick the same free
    port, and one dies with "Address already in use" (seen here). IPC sockets are named by a
    fresh path per kernel, so parallel kernels never collide, and the kernel no longer warns that
    TCP traffic is unencrypted. The connection file (with the kernel's key) and the sockets live
    in the run's folder, not the system's temporary one, so nothing outlives the run.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    base = str(socket_base(Path(folder)))

    class IpcKernelManager(ForkedLaunch, AsyncKernelManager):
        @default("client_factory")
        def _default_client_factory(self) -> type:
            return ready_client()

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            # How often to look whether a kernel that was told to go has gone: 0.1 s of every
            # notebook's end, when a kernel goes in a few milliseconds.
            await super()._async_wait(pollinterval=min(pollinterval, WAIT_POLL))

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts a kernel before it shuts it down. The pipeline's kernels
            # are killed once their notebook is done (or has failed), and a SIGINT that lands
            # while one still answers papermill's last request logs "KeyboardInterrupt caught in
            # kernel" in the run's log.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(base, f"k-{uuid.uuid4().hex[:12]}")

        @default("connection_file")
        def _default_connection_file(self) -> str:
            return os.path.join(folder, f"kernel-{uuid.uuid4().hex[:12]}.json")

    return IpcKernelManager


# Seconds to wait for the answers to a kernel_info request before asking again, as
# jupyter_client does: the reply on the shell channel, then the idle status on IOPub (a
# subscription made just before the kernel published can miss it: ZeroMQ's late joiner).
PATIENCE = {"shell": 1.0, "iopub": 0.2}
RECONNECT_MS = 10  # how often the client's sockets try a kernel not listening yet


@functools.cache
def ready_client() -> type:
    """The kernel client papermill's runs use: ready as soon as the kernel has answered
    kernel_info on the shell channel and published the idle status for that request on IOPub,
    so IOPub is connected and nothing older is in flight. jupyter_client's own wait then listens
    to IOPub until it has been silent for 0.2 s, on every kernel of every notebook."""
    import zmq
    from jupyter_client import protocol_version_info
    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        def start_channels(self, *args, **kwargs) -> None:
            # Its sockets connect before a new kernel has bound its own; ZeroMQ tries again
            # every 0.1 s by default, which a kernel forked in a few milliseconds waits out.
            self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)  # for sockets made now on
            super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                request = self.kernel_info()
                try:
                    reply = await self._answer("shell", request, deadline)
                    await self._answer("iopub", request, deadline)
                except TimeoutError:
                    if not await self.is_alive():
                        raise RuntimeError("Kernel died before replying to kernel_info") from None
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"Kernel didn't respond in {timeout:.0f} seconds"
                        ) from None
                    continue
                # As jupyter_client does with the reply: speak the kernel's protocol version.
                major = int(reply["content"].get("protocol_version", "5").split(".")[0])
                if major != protocol_version_info[0]:
                    self.session.adapt_version = major
                return

        async def _answer(self, channel: str, request: str, deadline: float) -> dict:
            """The message on ``channel`` that answers ``request`` (on IOPub, its idle status),
            skipping others; TimeoutError once PATIENCE has run out, or the deadline."""
            get = self.get_shell_msg if channel == "shell" else self.get_iopub_msg
            give_up = min(deadline, time.monotonic() + PATIENCE[channel])
            while True:
                try:
                    message = await get(timeout=max(give_up - time.monotonic(), 0.001))
                except queue.Empty:
                    raise TimeoutError from None
                answers = message["parent_header"].get("msg_id") == request
                state = message["content"].get("execution_state")
                if answers and (channel == "shell" or state == "idle"):
                    return message

    return ReadyClient
