"""Every log reader on hostile files: mutations of the shipped samples and arbitrary bytes.

The property: reading never raises (bad content becomes malformed records or a refused file), each
file is read in bounded time, and every malformed record names its file and a place in it. The
mutation corpus is built here from tests/mutations.py's seeds; benchmarks/fuzz.py runs the same
mutations at a larger scale.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import MUTATIONS, file_name, mutate, seeds

from socctl.detection.inputs import FORMATS, Malformed, read_events

SEEDS = seeds()
#: Seconds one file may take to read (the slowest mutated seed takes well under one).
BOUND = 5.0
FUZZ = settings(
    max_examples=60,
    deadline=None,  # the bound is asserted per case below, measured around the reading only
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def read_all_ways(path: Path, fmt: str) -> tuple[int, list[Malformed]]:
    """Events and malformed records of ``path`` read as detected and forced to ``fmt``."""
    malformed: list[Malformed] = []
    started = time.perf_counter()
    events = sum(
        1
        for forced in (None, fmt)
        for _ in read_events(path, forced, on_malformed=malformed.append)
    )
    assert time.perf_counter() - started < BOUND, path
    for record in malformed:
        assert record.path == str(path) and record.where and record.reason
        assert "\n" not in record.reason
    return events, malformed


def test_every_reader_has_a_seed_that_reads_cleanly(tmp_path: Path) -> None:
    missing = set(FORMATS) - set(SEEDS)
    assert missing <= {"evtx"}, missing  # EVTX comes from ../shared/corpus when present
    for fmt, (name, data) in SEEDS.items():
        path = tmp_path / name
        path.write_bytes(data)
        events, malformed = read_all_ways(path, fmt)
        assert events > 0 and not [m for m in malformed if m.skipped], (fmt, malformed[:3])


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_each_mutation_of_each_reader(fmt: str, mutation: str, tmp_path: Path) -> None:
    name, data = SEEDS[fmt]
    for case in range(4):
        rng = random.Random(f"{fmt}:{mutation}:{case}")
        content = MUTATIONS[mutation](data, rng)
        path = tmp_path / f"{case}-{file_name(name, mutation)}"
        path.write_bytes(content)
        read_all_ways(path, fmt)


@FUZZ
@given(fmt=st.sampled_from(sorted(SEEDS)), seed=st.integers(0, 2**32), rounds=st.integers(1, 4))
def test_random_chains_of_mutations(fmt: str, seed: int, rounds: int, tmp_path: Path) -> None:
    name, data = SEEDS[fmt]
    mutation, content = mutate(data, random.Random(seed), rounds)
    path = tmp_path / file_name(name, mutation)
    path.write_bytes(content)
    read_all_ways(path, fmt)


@FUZZ
@given(fmt=st.sampled_from(sorted(FORMATS)), content=st.binary(max_size=2000))
def test_arbitrary_bytes_under_each_format(fmt: str, content: bytes, tmp_path: Path) -> None:
    name = SEEDS[fmt][0] if fmt in SEEDS else "x.evtx"
    path = tmp_path / name
    path.write_bytes(content)
    read_all_ways(path, fmt)


@FUZZ
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    lines=st.lists(st.text(max_size=200), max_size=20),
    at=st.integers(0, 10_000),
)
def test_arbitrary_text_lines_among_good_records(
    fmt: str, lines: list[str], at: int, tmp_path: Path
) -> None:
    name, data = SEEDS[fmt]
    cut = data.rfind(b"\n", 0, at) + 1
    junk = "\n".join(lines).encode("utf-8", "surrogatepass")
    path = tmp_path / name
    path.write_bytes(data[:cut] + junk + b"\n" + data[cut:])
    read_all_ways(path, fmt)


def test_the_random_bytes_evtx_is_refused_as_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "x.evtx"
    path.write_bytes(random.Random(300).randbytes(300))
    events, malformed = read_all_ways(path, "evtx")
    assert events == 0
    assert malformed[0].whole_file and "not a Windows event log (EVTX)" in malformed[0].reason


def test_a_cut_gzip_keeps_the_lines_before_the_cut(tmp_path: Path) -> None:
    import gzip

    name, data = SEEDS["syslog"]
    whole = tmp_path / "whole.log"
    whole.write_bytes(data)
    packed = gzip.compress(data * 20, mtime=0)
    path = tmp_path / (name + ".gz")
    path.write_bytes(packed[: len(packed) * 2 // 3])
    events, malformed = read_all_ways(path, "syslog")
    one_copy, _ = read_all_ways(whole, "syslog")
    assert 0 < events < 20 * one_copy
    assert [m.reason for m in malformed if "gzip" in m.reason]
    assert all(m.where.startswith(("byte ", "after byte ")) for m in malformed)


def test_an_evtx_with_a_damaged_chunk_keeps_the_other_records(tmp_path: Path) -> None:
    if "evtx" not in SEEDS:
        pytest.skip("no EVTX sample: ../shared/corpus/sigmahq-regression is absent")
    name, data = SEEDS["evtx"]
    good = tmp_path / name
    good.write_bytes(data)
    total, _ = read_all_ways(good, "evtx")
    # the second record's bytes damaged (the chunk's checksum no longer matches), and the file cut
    # in the middle of its chunk
    damaged = bytearray(data)
    first = data.find(b"\x2a\x2a\x00\x00", 4096 + 512)
    second = data.find(b"\x2a\x2a\x00\x00", first + 4)
    damaged[second + 30 : second + 60] = b"\xff" * 30
    path = tmp_path / "damaged.evtx"
    path.write_bytes(bytes(damaged[: len(damaged) - 3000]))
    events, malformed = read_all_ways(path, "evtx")
    assert events == 2 * (total // 2 - 1)  # read twice; all but the damaged record
    assert [m.where for m in malformed][:2] == ["byte 66632", "record after 1"]
    # cut in the middle of the chunk's records: those before the cut are read
    free = int.from_bytes(data[4096 + 48 : 4096 + 52], "little")
    path.write_bytes(data[: 4096 + free // 2])
    events, malformed = read_all_ways(path, "evtx")
    assert 0 < events < total
    assert malformed[0].where == f"byte {4096 + free // 2}" and "cut short" in malformed[0].reason


def test_an_xml_declaration_with_an_unknown_encoding_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "events.xml"
    path.write_bytes(SEEDS["xml"][1].replace(b'encoding="utf-8"', b'encoding="qtf-8"', 1))
    events, malformed = read_all_ways(path, "xml")
    assert events == 0 and "unknown encoding: qtf-8" in malformed[0].reason
