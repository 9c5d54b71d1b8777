"""The CLI in a subprocess, as a user runs it, without a workspace from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def socctl(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: int = 300,
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")}
    return subprocess.run(
        [sys.executable, "-m", "socctl", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**environ, **(env or {})},
    )
