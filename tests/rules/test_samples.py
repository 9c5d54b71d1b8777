"""The Quick start: ``socctl detect run --logs samples/`` with the shipped rules.

Each sample file must raise exactly the alerts ``samples/README.md`` promises for it (by rule
file), so an intrusion step that stops being detected, or routine traffic that starts raising
alerts, fails here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from casefiles import REPO, RULES_DIR, shipped_rule_files
from typer.testing import CliRunner

from socctl.cli.main import app

SAMPLES = REPO / "samples"

EXPECTED = {
    "windows/dc01-security.jsonl": {
        "win_security_password_spraying",
        "win_security_kerberoasting_rc4",
        "win_security_dcsync",
        "win_security_privileged_group_member_added",
        "win_security_audit_log_cleared",
    },
    "windows/dvc-app02-security-system.jsonl": {
        "win_security_admin_share_after_network_logon",
        "win_system_psexec_service_installed",
    },
    "windows/dvc-app02-sysmon.jsonl": {
        "win_proc_creation_comsvcs_minidump",
        "win_proc_access_lsass_credential_dump",
        "win_proc_creation_reg_save_sam",
        "win_proc_creation_wmi_winrm_remote_exec",
    },
    "winlogbeat/ws-kt-017-winlogbeat.ndjson": {
        "win_proc_creation_powershell_encoded",
        "win_security_brute_force",
    },
    "linux/dvc-web01-auth.log": {
        "lnx_sshd_brute_force",
        "lnx_sshd_root_login_accepted",
        "lnx_sudo_not_in_sudoers",
        "lnx_useradd_privileged_user",
        "lnx_user_added_to_sudo_group",
    },
    "linux/dvc-db01-syslog-rfc5424.log": {"lnx_sudo_root_shell"},
    "linux/dvc-db01-audit.log": {
        "lnx_auditd_privileged_account_change",
        "lnx_auditd_sudoers_modified",
    },
    "web/dvc-web01-access.log": {
        "web_scanner_user_agent",
        "web_sql_injection_attempt",
        "web_path_traversal",
        "web_sensitive_file_probe",
        "web_admin_path_success_external",
        "web_script_in_upload_folder",
        "web_webshell_command_parameter",
        "web_jndi_injection",
        "web_defacement_index_upload",
    },
    "web/dvc-web01-access.log.1.gz": {"web_scanner_user_agent", "web_path_traversal"},
    "firewall/fgt-core01.log": {
        "fortigate_port_scan_deny_burst",
        "fortigate_vpn_login_brute_force",
        "fortigate_vpn_login_foreign_country",
        "fortigate_admin_login_failed",
        "fortigate_admin_account_created",
        "fortigate_security_config_changed",
    },
    "csv/motcua-iis01-export.csv": {
        "web_scanner_user_agent",
        "web_webshell_known_name",
        "web_webshell_command_parameter",
    },
}


@pytest.fixture(scope="module")
def alerts(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("quickstart") / "alerts.ndjson"
    args = ["detect", "run", "--logs", str(SAMPLES), "--rules", str(RULES_DIR)]
    result = CliRunner().invoke(app, [*args, "--format", "ndjson", "--output", str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_every_sample_file_is_listed() -> None:
    files = {
        p.relative_to(SAMPLES).as_posix()
        for p in SAMPLES.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name != "README.md"
    }
    assert files == set(EXPECTED)


def test_each_sample_raises_the_alerts_its_readme_promises(alerts: list[dict]) -> None:
    stem_of = {i: r.stem for r in shipped_rule_files() for i in r.ids}
    found: dict[str, set[str]] = defaultdict(set)
    for alert in alerts:
        name = Path(alert["source"]["path"]).resolve().relative_to(SAMPLES).as_posix()
        found[name].add(stem_of[alert["rule"]["id"]])
    assert dict(found) == EXPECTED


def test_alerts_span_the_levels_and_the_city_hosts(alerts: list[dict]) -> None:
    assert {a["rule"]["level"] for a in alerts} == {"critical", "high", "medium", "low"}
    hosts = {a["host"] for a in alerts if a["host"]}
    assert {"dc01.haiphong.gov.vn", "dvc-app02.haiphong.gov.vn", "dvc-web01"} <= hosts
    # RFC 3164 lines take their year from the file's modification time; the others carry theirs.
    dated = [a for a in alerts if not a["source"]["path"].endswith("auth.log")]
    assert all(a["timestamp"].startswith("2026-11-") for a in dated)


def test_samples_stay_small() -> None:
    size = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert size < 2 * 1024 * 1024
