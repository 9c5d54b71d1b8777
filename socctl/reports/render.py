"""Render report templates: the shipped ``reports/`` folder, overridden by a workspace's ``reports/``.

HTML templates (``*.html.j2``) are autoescaped, so a field holding ``<script>`` prints as text;
Markdown templates (``*.md.j2``) escape ``& < > |`` in every value. Use ``|safe`` only on markup
socctl built itself (the charts of :mod:`socctl.reports.svg` are already safe). Every template sees
the filters ``date_vi``, ``date_long_vi``, ``datetime_vi``, ``number_vi`` and ``level_vi``.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from socctl.errors import InputError, NotFoundError, SocctlError
from socctl.reports import formatting
from socctl.resources import content_dir

_FILTERS = {
    "date_vi": formatting.date_vi,
    "date_long_vi": formatting.date_long_vi,
    "datetime_vi": formatting.datetime_vi,
    "number_vi": formatting.number_vi,
    "level_vi": formatting.level_vi,
}

_MARKDOWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|"})


def template_dirs(override_dir: Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins: the override folder, then the shipped one."""
    shipped = content_dir("reports")
    return [override_dir, shipped] if override_dir is not None else [shipped]


def render_html(
    template: str, context: Mapping[str, Any], *, override_dir: Path | None = None
) -> str:
    """Render an HTML template (``*.html.j2``) with autoescape on."""
    return _render(_environment(override_dir, markdown=False), template, context)


def render_markdown(
    template: str, context: Mapping[str, Any], *, override_dir: Path | None = None
) -> str:
    """Render a Markdown template (``*.md.j2``); values are escaped for Markdown."""
    return _render(_environment(override_dir, markdown=True), template, context)


def _escape_markdown(value: Any) -> Any:
    if value is None or isinstance(value, Markup):
        return value
    return str(value).translate(_MARKDOWN_ESCAPES)


@lru_cache(maxsize=16)
def _environment(override_dir: Path | None, *, markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dirs(override_dir)),
        autoescape=not markdown,
        finalize=_escape_markdown if markdown else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env


def _render(env: jinja2.Environment, template: str, context: Mapping[str, Any]) -> str:
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateNotFound as exc:
        raise NotFoundError(
            f"no report template '{exc.name}'",
            hint="look in " + ", ".join(str(d) for d in _search_path(env)),
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            f"template syntax error: {exc.message}",
            path=exc.filename or exc.name or template,
            line=exc.lineno,
            hint="fix the template",
        ) from None
    except SocctlError as exc:
        if exc.path is None:
            exc.path, exc.line = _template_position(exc, template)
        raise
    except (jinja2.UndefinedError, TypeError, ValueError) as exc:
        path, line = _template_position(exc, template)
        raise InputError(
            f"cannot render the report: {exc}",
            path=path,
            line=line,
            hint="pass the missing value in the report data or fix the template",
        ) from None


def _search_path(env: jinja2.Environment) -> list[str]:
    loader = env.loader
    return list(loader.searchpath) if isinstance(loader, jinja2.FileSystemLoader) else []


def _template_position(exc: BaseException, template: str) -> tuple[str, int | None]:
    """The template file and line being rendered when ``exc`` was raised (innermost first)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return template, None
