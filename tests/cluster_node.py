"""A real single-node OpenSearch for the cluster tests, built from Maven Central artifacts.

``build()`` resolves the artifacts of ``opensearch/pom.xml`` with Maven and compiles ``opensearch/src/socctl/TestNode.java`` once;
the result is cached under ``~/.cache/socctl-opensearch/<digest>/`` (outside the repository), keyed
by the two files. ``OpenSearchNode.start()`` runs it on a free port of 127.0.0.1 in a temporary home;
``stop()`` ends it by its pid. ``python tests/cluster_node.py`` builds, starts and prints the URL
until Ctrl-C, for trying the cluster commands by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent / "opensearch"
POM = HERE / "pom.xml"
SOURCE = HERE / "src" / "socctl" / "TestNode.java"
CACHE = Path(
    os.environ.get("SOCCTL_OPENSEARCH_CACHE", Path.home() / ".cache" / "socctl-opensearch")
)
#: The JVM's heap: enough for the tests' indices, small beside the suite's other processes.
HEAP = os.environ.get("SOCCTL_OPENSEARCH_HEAP", "768m")


class NodeError(RuntimeError):
    """The node could not be built or started; the message says which step and why."""


def _digest() -> str:
    data = POM.read_bytes() + b"\0" + SOURCE.read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, cwd=HERE, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise NodeError(f"{what} failed (exit {result.returncode}): {' '.join(args)}\n{tail}")


def build() -> tuple[Path, str]:
    """The compiled classes directory and the classpath of the node's jars (built once)."""
    for tool in ("mvn", "javac", "java"):
        if shutil.which(tool) is None:
            raise NodeError(
                f"'{tool}' is not installed (the OpenSearch test node needs Java 17 and Maven)"
            )
    out = CACHE / _digest()
    classes, classpath = out / "classes", out / "classpath.txt"
    if not classpath.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE))
        cp_file = work / "classpath.txt"
        _run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={cp_file}",
            ],
            "resolving the OpenSearch artifacts from Maven Central",
        )
        _run(
            ["javac", "-d", str(work / "classes"), "-cp", cp_file.read_text().strip(), str(SOURCE)],
            "compiling TestNode.java",
        )
        shutil.rmtree(out, ignore_errors=True)
        work.rename(out)
    return classes, classpath.read_text().strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OpenSearchNode:
    """One running node: its URL, its process and its temporary home."""

    url: str
    process: subprocess.Popen[bytes]
    home: Path
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / "node.log"

    @classmethod
    def start(cls) -> OpenSearchNode:
        """Start a node in the background (``wait()`` blocks until it answers)."""
        classes, classpath = build()
        home = Path(tempfile.mkdtemp(prefix="socctl-opensearch-"))
        port = free_port()
        log = (home / "node.log").open("wb")
        process = subprocess.Popen(
            [
                "java",
                f"-Xms{HEAP}",
                f"-Xmx{HEAP}",
                "-XX:+UseSerialGC",
                "-cp",
                f"{classes}{os.pathsep}{classpath}",
                "socctl.TestNode",
                str(home),
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return cls(url=f"http://127.0.0.1:{port}", process=process, home=home)

    def wait(self, timeout: float = 180.0) -> str:
        """Block until the cluster is yellow or better; the URL."""
        return wait_for(self.url, timeout, self)

    def stop(self) -> None:
        """End the node by its pid (SIGTERM, then SIGKILL) and remove its home."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def tail(self) -> str:
        """The last lines of the node's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"


def wait_for(url: str, timeout: float = 180.0, node: OpenSearchNode | None = None) -> str:
    """Block until the cluster at ``url`` is yellow or better (failing early if ``node`` exits)."""
    deadline = time.monotonic() + timeout
    health = f"{url}/_cluster/health?wait_for_status=yellow&timeout=5s"
    while time.monotonic() < deadline:
        if node is not None and node.process.poll() is not None:
            raise NodeError(
                f"the OpenSearch test node exited ({node.process.returncode}):\n{node.tail()}"
            )
        try:
            with urllib.request.urlopen(health, timeout=10) as response:
                if json.load(response).get("status") in {"yellow", "green"}:
                    return url
        except OSError:
            time.sleep(0.5)
    detail = f":\n{node.tail()}" if node is not None else ""
    raise NodeError(f"the cluster at {url} did not answer within {timeout:.0f} s{detail}")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # kill stops the node too, as Ctrl-C does
    node = OpenSearchNode.start()
    try:
        print(node.wait(), flush=True)
        node.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()
