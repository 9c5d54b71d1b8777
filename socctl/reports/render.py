"""Render report templates: the shipped ``reports/`` folder, overridden by a workspace's ``reports/``.

HTML templates (``*.html.j2``) are autoescaped, so a field holding ``<script>`` prints as text;
Markdown templates (``*.md.j2``) escape ``& < > |`` in every value. Use ``|safe`` only on markup
socctl built itself (the charts of :mod:`socctl.reports.svg` are already safe). Every template sees
the filters ``date_vi``, ``date_long_vi``, ``datetime_vi``, ``number_vi`` and ``level_vi``, the
variable ``lang`` (asked for by the caller, else ``doc.lang``, else ``vi``), the function
``t(KEY, name=value)`` giving a message of :mod:`socctl.i18n` in ``lang`` and the filter ``level``
(``Cấp độ 3`` / ``Level 3``). Templates import ``_macros.html.j2`` ``with context`` so macros see ``lang`` too.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.runtime import Context
from markupsafe import Markup

from socctl import i18n
from socctl.errors import InputError, NotFoundError, SocctlError
from socctl.reports import formatting
from socctl.reports.document import Document
from socctl.resources import content_dir

_FILTERS = {
    "date_vi": formatting.date_vi,
    "date_long_vi": formatting.date_long_vi,
    "datetime_vi": formatting.datetime_vi,
    "number_vi": formatting.number_vi,
    "level_vi": formatting.level_vi,
}


@jinja2.pass_context
def _t(context: Context, key: str, **values: Any) -> str:
    """``t(KEY, name=value)``: the message in the language being rendered."""
    try:
        return i18n.t(key, context.get("lang", "vi"), **values)
    except KeyError:
        raise InputError(
            f"no message '{key}' in the catalogue", hint=f"use a key of {i18n.CATALOGUE}"
        ) from None


@jinja2.pass_context
def _level(context: Context, value: int | str) -> str:
    """A security level from 1 to 5 in the language being rendered."""
    formatting.level_vi(value)  # refuses anything but 1 to 5 (a data error)
    return i18n.t("level", context.get("lang", "vi"), level=int(value))


_MARKDOWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|"})


def template_dirs(override_dir: Path | None = None) -> list[Path]:
    """Where templates are looked up, first match wins: the override folder, then the shipped one."""
    shipped = content_dir("reports")
    return [override_dir, shipped] if override_dir is not None else [shipped]


def render_html(
    template: str,
    context: Mapping[str, Any],
    *,
    override_dir: Path | None = None,
    lang: str | None = None,
) -> str:
    """Render an HTML template (``*.html.j2``) in ``lang`` with autoescape on."""
    env = _environment(override_dir, markdown=False)
    return _render(env, template, _with_lang(context, lang))


def render_markdown(
    template: str,
    context: Mapping[str, Any],
    *,
    override_dir: Path | None = None,
    lang: str | None = None,
) -> str:
    """Render a Markdown template (``*.md.j2``) in ``lang``; values are escaped for Markdown."""
    env = _environment(override_dir, markdown=True)
    return _render(env, template, _with_lang(context, lang))


def _with_lang(context: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    """The context and its ``lang``: the one asked for, else the document's, else Vietnamese."""
    doc = context.get("doc")
    return {**context, "lang": lang or (doc.lang if isinstance(doc, Document) else "vi")}


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
    env.filters.update(_FILTERS, level=_level)
    env.globals["t"] = _t
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
