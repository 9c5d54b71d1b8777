"""pySigma's rule validators over loaded rules: findings a rule author should look at."""

from __future__ import annotations

from typing import Any

from socctl.detection.rules import LoadedRule, RuleSet, split_range_condition

#: Validators that download MITRE ATT&CK / D3FEND data: a SOC host is often offline or firewalled.
NETWORK_VALIDATORS = frozenset({"attacktag", "d3_fendtag"})


def validate_rules(ruleset: RuleSet, *, online: bool = False) -> list[dict[str, str]]:
    """Run pySigma's core validators on every rule that parses; one row per finding.

    The validators in :data:`NETWORK_VALIDATORS` run only with ``online``.
    """
    from sigma.correlations import SigmaCorrelationRule
    from sigma.rule import SigmaRule
    from sigma.validation import SigmaValidator
    from sigma.validators.core import validators

    by_object: dict[int, LoadedRule] = {}
    obj: Any
    parsed: list[Any] = []
    for rule in ruleset.rules:
        doc = ruleset.document(rule)
        try:
            if rule.correlation is not None:  # a range condition pySigma does not take
                obj = SigmaCorrelationRule.from_dict(split_range_condition(doc)[0])
            else:
                obj = SigmaRule.from_dict(doc)
        except Exception:  # such a rule is reported as a load error already
            continue
        by_object[id(obj)] = rule
        parsed.append(obj)
    rows: list[dict[str, str]] = []
    for name, validator_class in sorted(validators.items()):
        if name in NETWORK_VALIDATORS and not online:
            continue
        try:  # a validator needing data it cannot fetch (no network) is skipped, and said so
            issues = SigmaValidator([validator_class]).validate_rules(iter(parsed))
        except Exception as exc:
            reason = str(exc).split("\n", 1)[0]
            rows.append(
                {"path": "", "rule_id": "", "reason": f"validator {name} skipped: {reason}"}
            )
            continue
        for issue in issues:
            for obj in issue.rules:
                owner = by_object.get(id(obj))
                rows.append(
                    {
                        "path": (owner.info.path or "") if owner else "",
                        "rule_id": owner.info.id if owner else str(getattr(obj, "id", "")),
                        "reason": f"{name}: {issue.description}",
                    }
                )
    return rows
