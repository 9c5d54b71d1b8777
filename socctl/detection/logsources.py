"""Which pySigma pipelines apply to which kind of event, and which logsources each kind can match.

The data lives in ``rules/pipelines/logsources.yml``; this module loads it and builds pySigma
pipelines (imported only when a rule has to be compiled, never on a cached run).
"""

from __future__ import annotations

import hashlib
import importlib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from socctl.errors import UsageError
from socctl.resources import content_dir
from socctl.storage.yamlio import load_model, read_text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Model):
    pipelines: tuple[str, ...]
    when: tuple[str, ...] = ()


class PipelineSpec(_Model):
    description: str = ""
    dispatch: tuple[str, ...] = ()
    common: tuple[str, ...] = ()
    #: ``Field: null`` also matches an empty value (Windows logs: an empty element).
    empty_is_null: bool = False
    variants: tuple[Variant, ...]


class KindSpec(_Model):
    pipeline: str
    logsources: tuple[dict[str, str], ...] = ()


class LogsourceData(_Model):
    builtin: dict[str, str]
    pipelines: dict[str, PipelineSpec]
    kinds: dict[str, KindSpec]
    formats: dict[str, tuple[str, ...]] = {}
    #: Pipelines of detection on a cluster: name → pySigma pipelines in order.
    cluster: dict[str, tuple[str, ...]] = {}


def kinds_of_format(fmt: str) -> tuple[str, ...]:
    """The kinds of event an input format is expected to produce."""
    return data().formats.get(fmt, ())


def pipelines_dir() -> Path:
    return content_dir("rules") / "pipelines"


@cache
def data() -> LogsourceData:
    """The shipped mapping (``rules/pipelines/logsources.yml``)."""
    return load_model(pipelines_dir() / "logsources.yml", LogsourceData)


def resolve(pipeline: str | None, kind: str) -> tuple[str, PipelineSpec]:
    """The pipeline (name and spec) events of ``kind`` use; ``pipeline`` (``--pipeline``) overrides.

    ``pipeline`` may name an entry of the mapping, a shipped YAML pipeline, or a YAML file path.
    """
    mapping = data()
    if pipeline is None:
        spec = mapping.kinds.get(kind) or mapping.kinds["generic"]
        return spec.pipeline, mapping.pipelines[spec.pipeline]
    if pipeline in mapping.pipelines:
        return pipeline, mapping.pipelines[pipeline]
    if pipeline in mapping.builtin or _yaml_path(pipeline) is not None:
        return pipeline, PipelineSpec(variants=(Variant(pipelines=(pipeline,)),))
    choices = ", ".join(sorted({*mapping.pipelines, *mapping.builtin}))
    raise UsageError(
        f"unknown pipeline '{pipeline}'", hint=f"use one of {choices}, or a pySigma YAML file"
    )


def logsource_selectors(kind: str, pipeline: str | None) -> tuple[dict[str, str], ...]:
    """Logsources a ``kind`` event can belong to (empty: any); none apply with ``--pipeline``."""
    if pipeline is not None:
        return ()
    mapping = data()
    spec = mapping.kinds.get(kind) or mapping.kinds["generic"]
    return spec.logsources


def logsource_matches(
    logsource: dict[str, str | None], selectors: tuple[dict[str, str], ...]
) -> bool:
    if not selectors:
        return True
    return any(all(logsource.get(k) == v for k, v in sel.items()) for sel in selectors)


def _yaml_path(name: str) -> Path | None:
    shipped = pipelines_dir() / f"{name}.yml"
    if shipped.is_file():
        return shipped
    given = Path(name)
    if given.suffix in (".yml", ".yaml") and given.is_file():
        return given
    return None


@cache
def fingerprint(name: str, spec: PipelineSpec) -> str:
    """What the compiled form of a rule depends on besides its text: a short hash (the files it
    reads are read once a process)."""
    parts = [name, spec.model_dump_json(), read_text(pipelines_dir() / "logsources.yml")]
    for variant in spec.variants:
        for item in variant.pipelines:
            path = _yaml_path(item)
            parts.append(read_text(path) if path else data().builtin.get(item, item))
    parts.append(_pysigma_versions())
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=12).hexdigest()


@cache
def _pysigma_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in (
        "pysigma",
        "pysigma-pipeline-sysmon",
        "pysigma-pipeline-windows",
        "pysigma-backend-elasticsearch",
    ):
        try:
            found.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package}=-")
    return ",".join(found)


@cache
def build_pipeline(names: tuple[str, ...]) -> Any:
    """The pySigma ``ProcessingPipeline`` made of ``names`` in order (imports pySigma)."""
    from sigma.processing.pipeline import ProcessingPipeline

    combined = ProcessingPipeline()
    for name in names:
        combined = combined + _one_pipeline(name)
    return combined


@cache
def _one_pipeline(name: str) -> Any:
    from sigma.processing.pipeline import ProcessingPipeline

    target = data().builtin.get(name)
    if target is not None:
        module, _, function = target.partition(":")
        factory = getattr(importlib.import_module(module), function)
        return factory()
    path = _yaml_path(name)
    if path is None:
        raise UsageError(f"unknown pipeline '{name}'", hint="check rules/pipelines/logsources.yml")
    try:
        return ProcessingPipeline.from_yaml(read_text(path))
    except Exception as exc:
        raise UsageError(f"invalid pySigma pipeline: {exc}", path=path) from None
