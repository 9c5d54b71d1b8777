"""Bad input a reviewer found accepted or reported badly (issue 3, "Bad input"): each is refused
with one clear line and the right exit code, and nothing is written."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from office import SYSTEM, Office, appraise, approve_all, days_ago, make_office, ok, run, submit

from socctl.timeutil import LOCAL_TZ
from socctl.workspace import init_workspace

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "assessments" / "examples"
MINIMAL = """\
id: demo # the file name
name: Hệ thống thử
owner: UBND thành phố Hải Phòng
operator: Trung tâm Dữ liệu thành phố
"""


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return init_workspace(tmp_path / "ws").root


def submitted(office: Office) -> None:
    submit(office, 5)


# --- signed decisions must say something -----------------------------------------------------


@pytest.mark.parametrize(
    ("organisation", "opinion", "named"),
    [("", "Đủ điều kiện", "--organisation"), ("Phòng ATTT", "  ", "--opinion")],
)
def test_an_appraisal_without_organisation_or_opinion_is_refused(
    office: Office, organisation: str, opinion: str, named: str
) -> None:
    submitted(office)
    before = office.dossier.read_bytes()
    result = run(
        office.ws,
        "dossier",
        "appraise",
        SYSTEM,
        "--key",
        office.key("specialised_unit"),
        "--organisation",
        organisation,
        "--opinion",
        opinion,
    )
    assert result.code == 3 and named in result.error and "empty" in result.error
    assert office.dossier.read_bytes() == before


def test_an_approval_without_a_decision_number_is_refused(office: Office) -> None:
    submitted(office)
    appraise(office, 3)
    before = office.dossier.read_bytes()
    args = ["--key", office.key("owner"), "--decision-number", "", "--date", days_ago(2)]
    result = run(office.ws, "dossier", "approve", SYSTEM, *args)
    assert result.code == 3 and "--decision-number" in result.error
    assert office.dossier.read_bytes() == before


# --- the gate on a past day ------------------------------------------------------------------


def test_the_gate_on_a_day_before_the_approval_does_not_pass(office: Office) -> None:
    approve_all(office)  # submitted 30, appraised 20, approved 10 days ago
    assert run(office.ws, "system", "gate", SYSTEM).code == 0
    before_approval = run(office.ws, "system", "gate", SYSTEM, "--as-of", days_ago(15))
    assert before_approval.code == 1 and "appraised" in before_approval.out
    long_before = run(office.ws, "system", "gate", SYSTEM, "--as-of", "2020-01-01")
    assert long_before.code == 1 and "draft" in long_before.out


# --- retire ----------------------------------------------------------------------------------


def test_retire_keeps_the_file_as_written_but_status_and_retired_on(ws: Path) -> None:
    example = EXAMPLES / "thu-dien-tu.yaml"
    ok(ws, "system", "add", str(example))
    day = (date.today() - timedelta(days=3)).isoformat()
    ok(ws, "system", "retire", "thu-dien-tu", "--on", day)
    original = example.read_text(encoding="utf-8").splitlines()
    retired = (ws / "systems" / "thu-dien-tu.yaml").read_text(encoding="utf-8").splitlines()
    assert [line for line in original if not line.startswith("status:")] == [
        line for line in retired if not line.startswith("status:") and "retired_on:" not in line
    ]
    assert "status: retired" in retired
    data = json.loads(run(ws, "system", "show", "thu-dien-tu", "--format", "json").out)
    assert data["status"] == "retired" and data["dates"]["retired_on"] == day


def test_retire_adds_dates_to_a_file_without_them(ws: Path, tmp_path: Path) -> None:
    source = tmp_path / "demo.yaml"
    source.write_text(MINIMAL, encoding="utf-8")
    ok(ws, "system", "add", str(source))
    ok(ws, "system", "retire", "demo")
    text = (ws / "systems" / "demo.yaml").read_text(encoding="utf-8")
    assert text.startswith(MINIMAL)  # the comment is kept
    data = json.loads(run(ws, "system", "show", "demo", "--format", "json").out)
    local_today = datetime.now(LOCAL_TZ).date().isoformat()  # Hai Phong's day, not the host's
    assert data["status"] == "retired" and data["dates"]["retired_on"] == local_today


@pytest.mark.parametrize(
    ("day", "message"),
    [("2010-05-01", "before dates.operating_since"), ("2999-01-01", "in the future")],
)
def test_retire_refuses_an_impossible_day(ws: Path, day: str, message: str) -> None:
    ok(ws, "system", "add", str(EXAMPLES / "thu-dien-tu.yaml"))
    stored = ws / "systems" / "thu-dien-tu.yaml"
    before = stored.read_bytes()
    result = run(ws, "system", "retire", "thu-dien-tu", "--on", day)
    assert result.code == 3 and message in result.error and "\n" not in result.error
    assert stored.read_bytes() == before


# --- output ----------------------------------------------------------------------------------


def test_dossier_show_of_a_fresh_draft_states_it(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    table = run(office.ws, "dossier", "show", SYSTEM)
    assert "draft" in table.out and "step" in table.out
    for fmt in ("json", "ndjson"):
        data = json.loads(run(office.ws, "dossier", "show", SYSTEM, "--format", fmt).out)
        assert data["state"] == "draft" and data["history"] == []


def test_an_empty_workspace_lists_the_column_headers(ws: Path) -> None:
    systems = run(ws, "system", "list", "--format", "csv")
    assert systems.code == 0
    assert next(csv.reader(io.StringIO(systems.out)))[:2] == ["id", "name"]
    assert "id" in run(ws, "system", "list").out
    keys = run(ws, "keys", "list", "--format", "csv")
    assert "fingerprint" in next(csv.reader(io.StringIO(keys.out)))
    assert "fingerprint" in run(ws, "keys", "list").out


def test_level_honours_csv_and_ndjson(ws: Path) -> None:
    ok(ws, "system", "add", str(EXAMPLES / "thu-dien-tu.yaml"))
    rows = list(csv.DictReader(io.StringIO(ok(ws, "system", "level", "thu-dien-tu", "-f", "csv"))))
    assert rows and {"level", "criterion", "article"} <= set(rows[0])
    line = ok(ws, "system", "level", "thu-dien-tu", "-f", "ndjson")
    assert len(line.strip().splitlines()) == 1 and json.loads(line)["level"] == 2


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_gate_honours_every_format(office: Office, fmt: str) -> None:
    approve_all(office)
    result = run(office.ws, "system", "gate", SYSTEM, "--format", fmt)
    assert result.code == 0
    if fmt == "csv":
        row = next(csv.DictReader(io.StringIO(result.out)))
        assert row["passed"] == "True" and row["approved_level"] == "3"
    else:
        assert json.loads(result.out)["passed"] is True


def test_system_show_offers_only_yaml_or_json(ws: Path) -> None:
    ok(ws, "system", "add", str(EXAMPLES / "thu-dien-tu.yaml"))
    assert run(ws, "system", "show", "thu-dien-tu", "--format", "csv").code == 2


# --- files and configuration that would otherwise vanish -------------------------------------


def test_a_system_file_with_the_yml_extension_is_named_with_the_fix(ws: Path) -> None:
    ok(ws, "system", "add", str(EXAMPLES / "thu-dien-tu.yaml"))
    (ws / "systems" / "cong-dvc.yml").write_bytes((EXAMPLES / "cong-dvc.yaml").read_bytes())
    for args in (["system", "list"], ["posture"]):
        result = run(ws, *args)
        assert result.code == 3 and "cong-dvc.yml" in result.error
        assert "rename it to cong-dvc.yaml" in result.error


def test_a_system_file_whose_name_is_not_an_id_is_named(ws: Path) -> None:
    (ws / "systems" / "Bad Name.yaml").write_text(MINIMAL, encoding="utf-8")
    result = run(ws, "system", "list")
    assert result.code == 3 and "Bad Name.yaml" in result.error and "e.g. cong-dvc" in result.error


def test_a_broken_configuration_is_not_hidden_by_system_list(ws: Path) -> None:
    """With --lang given, only the level reads the settings: their error must still surface."""
    ok(ws, "system", "add", str(EXAMPLES / "thu-dien-tu.yaml"))
    config = ws / "socctl.toml"
    text = config.read_text(encoding="utf-8").replace('# regime = "auto"', 'regime = "nd99"')
    config.write_text(text, encoding="utf-8")
    result = run(ws, "--lang", "en", "system", "list", "--format", "csv")
    assert result.code == 3 and "socctl.toml" in result.error and "regime" in result.error


def test_an_empty_system_file_says_so(ws: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    result = run(ws, "system", "add", str(empty))
    assert result.code == 3 and "the file is empty" in result.error and str(empty) in result.error


def test_a_non_slug_id_in_a_file_is_explained_in_words(ws: Path, tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(MINIMAL.replace("id: demo", "id: Cổng DVC"), encoding="utf-8")
    result = run(ws, "system", "add", str(source))
    assert result.code == 3 and "lower-case letters, digits and '-'" in result.error
    assert "^[a-z" not in result.error


@pytest.mark.parametrize("bad_id", ["../x", "Demo", "a/b"])
def test_a_bad_id_on_the_command_line_exits_3_for_dossiers_too(office: Office, bad_id: str) -> None:
    for command in ("new", "show", "check"):
        result = run(office.ws, "dossier", command, bad_id)
        assert result.code == 3 and "is not a system id" in result.error, (command, result)


def test_add_without_a_file_and_without_a_terminal_does_not_prompt(ws: Path) -> None:
    result = run(ws, "system", "add")
    assert result.code == 2 and "give a FILE or run in a terminal" in result.error
    assert not list((ws / "systems").glob("*.yaml"))


def test_dossier_help_shows_the_whole_render_summary() -> None:
    from typer.testing import CliRunner

    from socctl.cli.main import app

    out = CliRunner().invoke(app, ["dossier", "--help"], terminal_width=200).stdout
    line = next(row for row in out.splitlines() if row.strip().startswith("render"))
    assert "(ND85 Art." not in line and line.rstrip().endswith(".")


def test_retire_refuses_to_rewrite_dates_written_as_a_flow_mapping(
    ws: Path, tmp_path: Path
) -> None:
    source = tmp_path / "demo.yaml"
    source.write_text(MINIMAL + "dates: {operating_since: 2020-01-01}\n", encoding="utf-8")
    ok(ws, "system", "add", str(source))
    result = run(ws, "system", "retire", "demo", "--on", "2024-01-01")
    assert result.code == 3 and "socctl system edit" in result.error
    assert (ws / "systems" / "demo.yaml").read_text(encoding="utf-8") == source.read_text("utf-8")
