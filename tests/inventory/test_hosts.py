"""Hosts to systems: what alert enrichment and drill targeting rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from socctl.inventory.hosts import HostIndex, SystemRef
from socctl.inventory.store import load_system_file
from socctl.inventory.system import System

EXAMPLES = Path(__file__).resolve().parents[2] / "assessments" / "examples"


def system(system_id: str, *hosts: str, status: str = "operating") -> System:
    return System.model_validate(
        {
            "id": system_id,
            "name": system_id.upper(),
            "owner": f"owner of {system_id}",
            "operator": "op",
            "status": status,
            "components": [{"id": "main", "name": "Main", "kind": "app", "hosts": list(hosts)}],
        }
    )


def index(*systems: System) -> HostIndex:
    return HostIndex.build(systems, lambda s: len(s.id))  # any level; the test reads it back


@pytest.fixture(scope="module")
def examples() -> HostIndex:
    systems = [load_system_file(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    return HostIndex.build(systems, lambda s: 0)


def found(idx: HostIndex, host: str) -> str | None:
    ref = idx.lookup(host)
    return ref.id if ref else None


def test_a_host_name_finds_its_system_owner_level_and_component() -> None:
    idx = index(system("cong-dvc", "dichvucong.haiphong.gov.vn"))
    assert idx.lookup("dichvucong.haiphong.gov.vn") == SystemRef(
        "cong-dvc", "CONG-DVC", "owner of cong-dvc", 8, "main"
    )


@pytest.mark.parametrize(
    "asked",
    [
        "DichVuCong.HaiPhong.gov.vn",
        "dichvucong.haiphong.gov.vn.",
        " dichvucong.haiphong.gov.vn ",
        "dichvucong",
    ],
)
def test_names_match_without_case_trailing_dot_or_domain(asked: str) -> None:
    idx = index(system("cong-dvc", "dichvucong.haiphong.gov.vn"))
    assert found(idx, asked) == "cong-dvc"


def test_a_host_filed_by_short_name_is_found_by_its_fqdn() -> None:
    idx = index(system("scada", "SCADA-HMI01"))
    assert found(idx, "scada-hmi01.giaothong.haiphong.gov.vn") == "scada"
    assert found(idx, "scada-hmi01") == "scada"


def test_a_short_name_shared_by_two_systems_is_not_guessed() -> None:
    idx = index(system("a", "mail.haiphong.gov.vn"), system("b", "mail.congan.haiphong.gov.vn"))
    assert found(idx, "mail") is None
    assert found(idx, "mail.haiphong.gov.vn") == "a"
    assert found(idx, "mail.congan.haiphong.gov.vn") == "b"


def test_ips_and_the_most_specific_network_win() -> None:
    idx = index(
        system("dc", "10.10.0.0/16"),
        system("dvc", "10.10.3.0/24"),
        system("db", "10.10.3.7"),
        system("wide", "10.0.0.0/8"),
    )
    assert found(idx, "10.10.3.7") == "db"
    assert found(idx, "10.10.3.8") == "dvc"
    assert found(idx, "10.10.250.1") == "dc"
    assert found(idx, "10.200.0.1") == "wide"
    assert found(idx, "192.0.2.1") is None
    assert found(idx, "10.10.3.255") == "dvc" and found(idx, "10.10.4.0") == "dc"  # edges


def test_ipv6_and_ipv4_mapped_addresses() -> None:
    idx = index(system("v6", "2001:db8:10::/48"), system("v4", "192.0.2.0/24"))
    assert found(idx, "2001:db8:10:1::5") == "v6"
    assert found(idx, "[2001:db8:10::1]") == "v6"
    assert found(idx, "2001:db8:11::1") is None
    assert found(idx, "::ffff:192.0.2.9") == "v4"


def test_a_host_claimed_twice_is_deterministic_and_reported() -> None:
    idx = index(
        system("b-sys", "shared.haiphong.gov.vn"), system("a-sys", "shared.haiphong.gov.vn")
    )
    assert found(idx, "shared.haiphong.gov.vn") == "a-sys"
    assert idx.conflicts == ["shared.haiphong.gov.vn: a-sys, b-sys"]


def test_an_operating_system_wins_over_a_retired_one_on_a_reused_address() -> None:
    idx = index(system("a-old", "10.9.9.9", status="retired"), system("z-new", "10.9.9.9"))
    assert found(idx, "10.9.9.9") == "z-new"


def test_unknown_or_garbage_input_finds_nothing() -> None:
    idx = index(system("a", "portal.haiphong.gov.vn", "10.1.0.0/16"))
    for asked in ("", "   ", "not a host!", "999.1.1.1", "portal.haiphong.gov.vn.evil/x"):
        assert idx.lookup(asked) is None, asked


def test_the_shipped_examples_resolve_to_the_expected_systems(examples: HostIndex) -> None:
    assert found(examples, "www.haiphong.gov.vn") == "cong-ttdt"
    assert found(examples, "mx1") == "thu-dien-tu"
    assert found(examples, "10.10.5.130") == "quan-ly-van-ban"  # lienthong, inside the DC /16
    assert found(examples, "10.30.8.12") == "scada-giao-thong"
    ref = examples.lookup("10.30.8.12")
    assert ref is not None and ref.component == "ham-song-cam"
    assert found(examples, "10.250.2.3") == "csdl-an-ninh"
    assert found(examples, "192.0.2.99") == "mang-ttdl"  # the DC's public edge
    assert found(examples, "192.0.2.20") == "cong-dvc"
    assert examples.conflicts == []
