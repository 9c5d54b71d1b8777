"""Configuration: flags > SOCCTL_* environment variables > socctl.toml > built-in defaults.

Secrets (API keys, passwords) come from the environment or from a file path, never from
``socctl.toml`` (a workspace is a git repository), and are held as ``SecretStr`` so they are
never printed.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from socctl.errors import InputError

ENV_PREFIX = "SOCCTL_"
#: Keys that may only come from the environment (or as a ``*_file`` path).
SECRET_KEYS = {"api_key", "password"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ElasticsearchSettings(_Section):
    hosts: list[str] = ["http://localhost:9200"]
    api_key: SecretStr | None = None
    api_key_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = Field(30.0, gt=0)
    #: Retries (with backoff) of a request answered 429/502/503/504 or timed out.
    max_retries: int = Field(5, ge=0, le=20)
    #: Rules per ``_msearch`` (default: sized from the cluster's search thread pools).
    batch_size: int | None = Field(None, ge=1, le=1000)
    #: Alerts go to ``<alerts_index>-<yyyy.mm.dd>``.
    alerts_index: str = Field("socctl-alerts", pattern=r"^[a-z0-9][a-z0-9._-]{0,80}$")

    def secret(self, name: Literal["api_key", "password"]) -> str | None:
        """The secret's value, from the environment or from its file."""
        direct: SecretStr | None = getattr(self, name)
        if direct is not None:
            return direct.get_secret_value()
        path: Path | None = getattr(self, f"{name}_file")
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(
                f"cannot read the {name} file: {exc.strerror}", path=path, hint="check the path"
            ) from None


class DetectionSettings(_Section):
    store: Literal["embedded", "elasticsearch"] = "embedded"
    rules: list[Path] = []
    cache: bool = True
    workers: int = Field(0, ge=0)


class InventorySettings(_Section):
    regime: Literal["auto", "nd85", "nd331"] = "auto"


class Settings(_Section):
    lang: Literal["vi", "en"] = "en"
    timezone: str = "Asia/Ho_Chi_Minh"
    detection: DetectionSettings = DetectionSettings()
    elasticsearch: ElasticsearchSettings = ElasticsearchSettings()
    inventory: InventorySettings = InventorySettings()


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _from_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", path=path, hint="save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        problem = " ".join(str(exc).split())
        raise InputError(f"not valid TOML: {problem}", path=path, hint="fix the syntax") from None
    for section, values in data.items():
        if isinstance(values, dict):
            for key in values.keys() & SECRET_KEYS:
                raise InputError(
                    f"secret '{section}.{key}' must not be stored in the workspace",
                    path=path,
                    hint=f"set {ENV_PREFIX}{section.upper()}__{key.upper()} or '{key}_file'",
                )
    hosts = data.get("elasticsearch", {}).get("hosts", [])
    for host in hosts if isinstance(hosts, list) else []:
        if isinstance(host, str) and urlsplit(host).password is not None:
            raise InputError(
                "secret in 'elasticsearch.hosts': a URL with a password must not be stored in"
                " the workspace",
                path=path,
                hint=f"give the host without user:password@ and set {ENV_PREFIX}ELASTICSEARCH__"
                "USERNAME and SOCCTL_ELASTICSEARCH__PASSWORD, or 'password_file'",
            )
    return data


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings from ``SOCCTL_<SECTION>__<KEY>`` variables; other ``SOCCTL_*`` variables (such as
    ``SOCCTL_WORKSPACE``, ``SOCCTL_KEY_PASSPHRASE``, ``SOCCTL_CHROMIUM``) are not settings."""
    data: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in Settings.model_fields:
            continue
        value: Any = raw
        if raw.startswith("["):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise InputError(
                    f"environment variable {name} is not a JSON list", hint='use ["a", "b"]'
                ) from None
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return data


def _holds(data: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def load_settings(
    config_file: Path | None,
    overrides: dict[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge defaults, ``config_file``, the environment and flag ``overrides``, then validate.

    An invalid value is reported where it came from: the option, the environment variable or the
    file.
    """
    from_file = _from_toml(config_file) if config_file else {}
    from_env = _from_env(os.environ if environ is None else environ)
    flags = overrides or {}
    try:
        return Settings.model_validate(_merge(_merge(from_file, from_env), flags))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc)
        variable = ENV_PREFIX + "__".join(str(p) for p in loc).upper()
        if _holds(flags, loc):
            raise InputError(f"option for '{field}': {first['msg']}") from None
        if _holds(from_env, loc):
            raise InputError(
                f"environment variable {variable}: {first['msg']}", hint="correct or unset it"
            ) from None
        raise InputError(
            f"setting '{field}': {first['msg']}",
            path=config_file,
            hint=f"fix it in {config_file.name if config_file else 'socctl.toml'} or set {variable}",
        ) from None
