"""Configuration precedence (flags > SOCCTL_* > socctl.toml > defaults) and secret handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from socctl.config import load_settings
from socctl.errors import InputError


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "socctl.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, environ={})
    assert settings.detection.store == "embedded" and settings.lang == "en"


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    path = toml(tmp_path, 'lang = "vi"\n[detection]\nworkers = 1\nstore = "elasticsearch"\n')
    env = {"SOCCTL_DETECTION__WORKERS": "3", "SOCCTL_LANG": "en"}
    settings = load_settings(path, {"detection": {"workers": 2}}, environ=env)
    assert settings.detection.workers == 2  # flag
    assert settings.lang == "en"  # environment over file
    assert settings.detection.store == "elasticsearch"  # file over default


def test_secret_in_the_workspace_file_is_refused(tmp_path: Path) -> None:
    path = toml(tmp_path, '[elasticsearch]\napi_key = "c2VjcmV0"\n')
    with pytest.raises(InputError) as info:
        load_settings(path, environ={})
    assert "c2VjcmV0" not in str(info.value)
    assert "SOCCTL_ELASTICSEARCH__API_KEY" in str(info.value)


def test_a_password_in_a_host_url_of_the_workspace_file_is_refused(tmp_path: Path) -> None:
    path = toml(tmp_path, '[elasticsearch]\nhosts = ["https://soc:S3cret@es.example:9200"]\n')
    with pytest.raises(InputError) as info:
        load_settings(path, environ={})
    assert "S3cret" not in str(info.value) and "elasticsearch.hosts" in str(info.value)
    assert "SOCCTL_ELASTICSEARCH__PASSWORD" in str(info.value)
    plain = toml(tmp_path, '[elasticsearch]\nhosts = ["https://es.example:9200"]\n')
    assert load_settings(plain, environ={}).elasticsearch.hosts == ["https://es.example:9200"]


def test_secret_from_environment_is_never_printed() -> None:
    settings = load_settings(None, environ={"SOCCTL_ELASTICSEARCH__API_KEY": "topsecret"})
    assert settings.elasticsearch.secret("api_key") == "topsecret"
    assert "topsecret" not in repr(settings) and "topsecret" not in settings.model_dump_json()


def test_secret_from_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("fromfile\n")
    settings = load_settings(
        toml(tmp_path, f'[elasticsearch]\napi_key_file = "{key}"\n'), environ={}
    )
    assert settings.elasticsearch.secret("api_key") == "fromfile"


def test_bad_value_names_the_setting_and_the_fix(tmp_path: Path) -> None:
    path = toml(tmp_path, '[detection]\nstore = "mongodb"\n')
    with pytest.raises(InputError) as info:
        load_settings(path, environ={})
    assert "detection.store" in str(info.value) and str(path) in str(info.value)


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"detection\.stroe"):
        load_settings(toml(tmp_path, '[detection]\nstroe = "embedded"\n'), environ={})


def test_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        load_settings(toml(tmp_path, "[detection\n"), environ={})


def test_other_socctl_variables_are_not_settings() -> None:
    env = {
        "SOCCTL_KEY_PASSPHRASE": "x",
        "SOCCTL_CHROMIUM": "/usr/bin/chromium",
        "SOCCTL_WORKSPACE": "/w",
    }
    assert load_settings(None, environ=env).detection.store == "embedded"


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    path = toml(tmp_path, '[detection]\nstore = "embedded"\n')
    with pytest.raises(InputError) as info:
        load_settings(path, environ={"SOCCTL_DETECTION__WORKERS": "-3"})
    assert str(info.value).startswith("environment variable SOCCTL_DETECTION__WORKERS:")
    assert str(path) not in str(info.value)
