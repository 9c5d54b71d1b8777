"""Storage safety: atomic writes survive SIGKILL; the workspace lock serialises writers."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from socctl.errors import InputError, LockTimeout
from socctl.storage import atomic_write, workspace_lock

_WRITER = textwrap.dedent(
    """
    import sys
    from socctl.storage import atomic_write
    atomic_write(sys.argv[1], b"N" * (400 * 1024 * 1024))
    """
)


def test_sigkill_during_write_leaves_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "system.yaml"
    atomic_write(target, "id: cong-dvc\nname: old\n")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)])
    deadline = time.monotonic() + 30
    # wait until the writer has started filling its temporary file, then kill it mid-write
    while time.monotonic() < deadline:
        temps = list(tmp_path.glob(".system.yaml.*.tmp"))
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.005)
    else:
        proc.kill()
        pytest.fail("writer never started")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_text() == "id: cong-dvc\nname: old\n"


_COUNTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from socctl.storage import atomic_write, workspace_lock
    state, target, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    for _ in range(rounds):
        with workspace_lock(state):
            value = int(target.read_text())
            atomic_write(target, str(value + 1))
    """
)


def test_concurrent_writers_never_lose_or_corrupt_an_update(tmp_path: Path) -> None:
    state, target = tmp_path / ".socctl", tmp_path / "counter"
    atomic_write(target, "0")
    rounds = 150
    procs = [
        subprocess.Popen([sys.executable, "-c", _COUNTER, str(state), str(target), str(rounds)])
        for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert target.read_text() == str(2 * rounds)


def test_a_writer_that_cannot_get_the_lock_says_so(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from socctl.storage import workspace_lock\n"
            "with workspace_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(LockTimeout, match="another socctl command"),
            workspace_lock(tmp_path, timeout=0.2),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.yaml", "x: 1\n")
    atomic_write(tmp_path / "a.yaml", "x: 2\n")
    assert [p.name for p in tmp_path.iterdir()] == ["a.yaml"]
    assert (tmp_path / "a.yaml").read_text() == "x: 2\n"


def test_a_symbolic_link_is_written_through_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_device_is_written_to_not_replaced() -> None:
    atomic_write("/dev/null", "alerts\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_an_impossible_target_is_one_clear_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path if where == "folder" else tmp_path / "file" / "out.csv"
    with pytest.raises(InputError) as info:
        atomic_write(target, "data")
    assert str(target) in str(info.value) and "cannot write" in str(info.value)


def test_a_writer_that_has_to_wait_is_told_once(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from socctl.storage import workspace_lock\n"
            "with workspace_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(2.5)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    told: list[str] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with workspace_lock(tmp_path, timeout=30, on_wait=lambda: told.append("waiting")):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert told == ["waiting"]
