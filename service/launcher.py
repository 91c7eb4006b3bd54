"""Starting the HTTP service as a process: `stance serve`, the tests and the benchmark use this."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SERVICE = "service.service:Stance"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def serve_command(host: str, port: int, service: str = SERVICE, working_dir: Path = PROJECT_ROOT) -> list[str]:
    """The `bentoml serve` command line for the stance service (or another), from this environment."""
    bentoml = str(Path(sys.executable).parent / "bentoml")
    return [bentoml, "serve", service, "--working-dir", str(working_dir), "--host", host, "--port", str(port)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`bentoml serve` in its own process group on a free loopback port, ready on entry.

    `ready_s` is the time from start to the first 200 from /readyz.
    """

    def __init__(self, env: dict[str, str] | None = None, log: Path | None = None, ready_timeout: float = 300,
                 service: str = SERVICE, working_dir: Path = PROJECT_ROOT):
        self.service, self.working_dir = service, working_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.log = log
        self.ready_timeout = ready_timeout
        self.ready_s: float | None = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ServerProcess":
        import httpx

        output = self.log.open("w") if self.log else subprocess.DEVNULL
        started = time.monotonic()
        self.process = subprocess.Popen(serve_command("127.0.0.1", self.port, self.service, self.working_dir), cwd=PROJECT_ROOT, env=self.env,
                                        stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        while time.monotonic() - started < self.ready_timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with status {self.process.returncode}{self._log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    self.ready_s = time.monotonic() - started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(f"server not ready in {self.ready_timeout:.0f} s{self._log_tail()}")

    def _log_tail(self) -> str:
        return f":\n{self.log.read_text()[-3000:]}" if self.log and self.log.is_file() else ""

    def processes(self) -> list:
        """The server's process and every process it started (psutil)."""
        import psutil

        root = psutil.Process(self.process.pid)
        return [root, *root.children(recursive=True)]

    def resident_mib(self) -> dict:
        """Resident memory of the server and every process it started, in MiB."""
        per = {f"{p.pid} {' '.join(p.cmdline()[-3:])[:60]}": p.memory_info().rss / 2**20
               for p in self.processes()}
        return {"total": round(sum(per.values()), 1), "processes": {k: round(v, 1) for k, v in per.items()}}

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
