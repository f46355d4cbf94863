"""`make lab` starts JupyterLab, as root or as a user, and prints the URL to open."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEADLINE = 90  # seconds for Jupyter to answer; it usually takes two or three


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_starts_and_prints_the_url(tmp_path):
    port = _free_port()
    log = tmp_path / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with log.open("wb") as out:
        lab = subprocess.Popen(
            ["make", "-s", "-C", str(REPO), "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # one process group: make, the shell and Jupyter
        )
        try:
            start = time.monotonic()
            while not _answers(port):
                assert lab.poll() is None, log.read_text(errors="replace")[-2000:]
                assert time.monotonic() - start < DEADLINE, "JupyterLab did not answer in time"
                time.sleep(0.5)
            url = rf"http://127\.0\.0\.1:{port}/lab\?token=\w+"
            while not re.search(url, log.read_text(errors="replace")):
                assert time.monotonic() - start < DEADLINE, log.read_text(errors="replace")[-2000:]
                time.sleep(0.2)
        finally:
            os.killpg(lab.pid, signal.SIGTERM)
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait(timeout=10)
    text = log.read_text(errors="replace")
    assert "Running as root is not recommended" not in text
