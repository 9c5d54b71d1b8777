"""``socctl rules``: Sigma rules: check, list, coverage (ATT&CK Navigator layer)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, err_console, write_text
from socctl.detection.rules import LoadedRule, RuleSet, default_rule_paths, load_rules
from socctl.errors import InputError
from socctl.i18n import headers, t

app = typer.Typer(help="Sigma rules: check, list, coverage.", no_args_is_help=True)

RULES_OPTION = typer.Option(
    None,
    "--rules",
    "-r",
    help="Rule file or folder (repeatable); default: the shipped rules and the workspace's.",
)
PIPELINE_OPTION = typer.Option(
    None, "--pipeline", help="pySigma pipeline for every event (default: chosen by event kind)."
)
NO_CACHE_OPTION = typer.Option(False, "--no-cache", help="Neither read nor write the rule cache.")


def _load(
    ctx: typer.Context, rules: list[Path] | None, pipeline: str | None, no_cache: bool
) -> RuleSet:
    ws = state(ctx).optional_workspace()
    paths = list(rules) if rules else default_rule_paths(ws)
    use_cache = not no_cache and (ws.settings.detection.cache if ws else True)
    return load_rules(
        paths,
        cache_dir=ws.cache_dir if ws else None,
        use_cache=use_cache,
        pipeline=pipeline,
    )


def _refuse_unloadable(ruleset: RuleSet) -> None:
    """After listing the rules that load: exit 3 naming the first file that does not (bad input)."""
    if ruleset.errors:
        first = ruleset.errors[0]
        others = len(ruleset.errors) - 1
        more = f"; {others} other rule file(s) cannot load either" if others else ""
        raise InputError(
            f"rule cannot load: {first.reason}{more}",
            path=first.path,
            hint="'socctl rules check' lists the problems",
        )


def _logsource(rule: LoadedRule) -> str:
    return "/".join(v for v in rule.logsource.values() if v) or "-"


@app.command("check")
def check(
    ctx: typer.Context,
    rules: list[Path] | None = RULES_OPTION,
    pipeline: str | None = PIPELINE_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    validate: bool = typer.Option(
        True, "--validate/--no-validate", help="Also run pySigma's rule validators (warnings)."
    ),
    online: bool = typer.Option(
        False,
        "--online",
        help="Also run the validators that download MITRE ATT&CK and D3FEND data.",
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Compile every rule for every kind of event; list rules that cannot load, with the reason.

    Exits 1 when a rule cannot load. Validator findings are listed as warnings.
    """
    from socctl.detection.logsources import data
    from socctl.detection.validation import validate_rules

    ruleset = _load(ctx, rules, pipeline, no_cache)
    kinds = ["generic"] if pipeline else list(data().kinds)
    for kind in kinds:
        ruleset.compiled(kind)
    rows: list[dict[str, Any]] = [
        {"severity": "error", "path": e.path, "rule_id": e.rule_id or "", "reason": e.reason}
        for e in ruleset.errors
    ]
    if validate:
        rows.extend(
            {"severity": "warning", **finding} for finding in validate_rules(ruleset, online=online)
        )
    lang = state(ctx).terminal_lang()
    columns = ["severity", "path", "rule_id", "reason"]
    emit(rows, fmt, output, columns, title=t("rules.check.title", lang), headers=headers(lang))
    loaded = len({r.key for r in ruleset.detection_rules} - ruleset.failed_keys)
    summary = t(
        "rules.check.summary",
        lang,
        files=ruleset.files,
        loaded=loaded + len(ruleset.correlations),
        failed=len(ruleset.errors),
    )
    err_console.print(summary, markup=False)
    if ruleset.errors:
        raise typer.Exit(1)


@app.command("list")
def list_rules(
    ctx: typer.Context,
    rules: list[Path] | None = RULES_OPTION,
    level: list[str] | None = typer.Option(None, "--level", help="Keep these levels."),
    status: list[str] | None = typer.Option(None, "--status", help="Keep these statuses."),
    tag: list[str] | None = typer.Option(None, "--tag", help="Keep rules with this tag."),
    technique: list[str] | None = typer.Option(
        None, "--technique", help="Keep rules for this ATT&CK technique (T1059 includes T1059.001)."
    ),
    logsource: list[str] | None = typer.Option(
        None, "--logsource", help="Keep rules whose product, category or service is this."
    ),
    no_cache: bool = NO_CACHE_OPTION,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """List rules, filtered by level, status, tag, ATT&CK technique and logsource."""
    ruleset = _load(ctx, rules, None, no_cache)
    chosen = [r for r in ruleset.rules if _keep(r, level, status, tag, technique, logsource)]
    rows = [
        {
            "id": r.info.id,
            "title": r.info.title,
            "level": r.info.level or "",
            "status": r.info.status or "",
            "logsource": "correlation" if r.correlation else _logsource(r),
            "techniques": list(r.info.techniques),
            "tags": list(r.info.tags),
            "path": r.info.path or "",
        }
        for r in chosen
    ]
    columns = ["id", "title", "level", "status", "logsource", "techniques"]
    if fmt is not Format.table:
        columns += ["tags", "path"]
    lang = state(ctx).terminal_lang()
    title = t("rules.list.title", lang, n=len(rows))
    emit(rows, fmt, output, columns, title=title, headers=headers(lang, "rule"))
    _refuse_unloadable(ruleset)


def _keep(
    rule: LoadedRule,
    levels: list[str] | None,
    statuses: list[str] | None,
    tags: list[str] | None,
    techniques: list[str] | None,
    logsources: list[str] | None,
) -> bool:
    info = rule.info
    if levels and (info.level or "") not in {v.lower() for v in levels}:
        return False
    if statuses and (info.status or "") not in {v.lower() for v in statuses}:
        return False
    if tags and not {t.lower() for t in tags} & {t.lower() for t in info.tags}:
        return False
    if techniques:
        wanted = [t.upper() for t in techniques]
        if not any(
            have == w or have.startswith(w + ".") for have in info.techniques for w in wanted
        ):
            return False
    if logsources:
        have = {v for v in rule.logsource.values() if v}
        if not {v.lower() for v in logsources} & have:
            return False
    return True


@app.command("coverage")
def coverage(
    ctx: typer.Context,
    navigator: Path = typer.Option(
        ..., "--navigator", help="Write an ATT&CK Navigator layer (JSON) to this file."
    ),
    rules: list[Path] | None = RULES_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """ATT&CK techniques the rules cover: a Navigator layer file and a table."""
    from socctl.cli.output import to_json

    ruleset = _load(ctx, rules, None, no_cache)
    by_technique: dict[str, list[LoadedRule]] = defaultdict(list)
    for rule in ruleset.rules:
        for technique in rule.info.techniques:
            by_technique[technique].append(rule)
    write_text(to_json(navigator_layer(by_technique)) + "\n", navigator)
    rows = [
        {"technique": t, "rules": len(rs), "titles": sorted({r.info.title for r in rs})[:3]}
        for t, rs in sorted(by_technique.items())
    ]
    lang = state(ctx).terminal_lang()
    title = t("rules.coverage.title", lang)
    emit(rows, fmt, output, ["technique", "rules", "titles"], title=title, headers=headers(lang))
    _refuse_unloadable(ruleset)
    summary = t(
        "rules.coverage.summary",
        lang,
        techniques=len(by_technique),
        rules=len(ruleset.rules),
        path=navigator,
    )
    err_console.print(summary, markup=False)


def navigator_layer(by_technique: dict[str, list[LoadedRule]]) -> dict[str, Any]:
    """An ATT&CK Navigator layer (format 4.5): one scored technique per covered technique."""
    most = max((len(v) for v in by_technique.values()), default=1)
    return {
        "name": "socctl Sigma rule coverage",
        "versions": {"layer": "4.5", "navigator": "5.1.0"},
        "domain": "enterprise-attack",
        "description": "ATT&CK techniques covered by the Sigma rules socctl runs "
        "(score: number of rules).",
        "sorting": 3,
        "hideDisabled": False,
        "techniques": [
            {
                "techniqueID": technique,
                "score": len(rules),
                "comment": "; ".join(sorted({r.info.title for r in rules})[:20]),
                "enabled": True,
                "showSubtechniques": True,
            }
            for technique, rules in sorted(by_technique.items())
        ],
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 1, "maxValue": max(most, 2)},
        "legendItems": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
    }
