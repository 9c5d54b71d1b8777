"""A client for the cluster at a URL: Elasticsearch or OpenSearch, told apart by ``GET /``.

Credentials, CA certificate, verification and timeouts come from the ``[elasticsearch]``
section of socctl.toml (:class:`~socctl.config.ElasticsearchSettings`). The transport retries
429, 502, 503 and 504 answers and timeouts a bounded number of times with backoff. Every
failure to reach or use the cluster is a :class:`~socctl.errors.ServiceError` naming the URL
(without credentials) and the reason, never a secret.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from socctl.config import ElasticsearchSettings
from socctl.errors import ServiceError

#: Answers the transport retries (``max_retries`` of the settings times, with backoff).
RETRY_STATUS = (429, 502, 503, 504)

#: Base and cap (seconds) of the jittered exponential backoff between retries (Elasticsearch).
RETRY_BACKOFF = (0.5, 30.0)

Product = Literal["elasticsearch", "opensearch"]


def public_url(url: str) -> str:
    """``url`` without user info (for messages; the client gets it as a header)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _headers(url: str, settings: ElasticsearchSettings) -> dict[str, str]:
    """The Authorization header: API key, user/password of the settings, or those of the URL."""
    api_key = settings.secret("api_key")
    if api_key:
        return {"Authorization": f"ApiKey {api_key}"}
    parts = urlsplit(url)
    username, password = settings.username, settings.secret("password")
    if username is None and parts.username is not None:
        username, password = unquote(parts.username), unquote(parts.password or "")
    if username and password is not None:
        token = b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _ssl_context(settings: ElasticsearchSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cafile=str(settings.ca_certs) if settings.ca_certs else None
    )
    if not settings.verify_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def detect_product(url: str, settings: ElasticsearchSettings) -> Product:
    """Which product answers at ``url`` (``GET /``)."""
    request = urllib.request.Request(
        public_url(url).rstrip("/") + "/", headers=_headers(url, settings)
    )
    context = _ssl_context(settings) if url.startswith("https") else None
    with (
        _errors(url),
        urllib.request.urlopen(
            request, timeout=settings.request_timeout, context=context
        ) as response,
    ):
        info = json.load(response)
    version = info.get("version", {}) if isinstance(info, dict) else {}
    return "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"


def connect(url: str, settings: ElasticsearchSettings) -> Any:
    """An ``OpenSearch`` or ``Elasticsearch`` client for ``url``, by what answers there."""
    product = detect_product(url, settings)
    options: dict[str, Any] = {
        "request_timeout" if product == "elasticsearch" else "timeout": settings.request_timeout,
        "max_retries": settings.max_retries,
        "retry_on_status": RETRY_STATUS,
        "retry_on_timeout": True,
        "headers": _headers(url, settings),
    }
    if url.startswith("https"):
        options["verify_certs"] = settings.verify_certs
        if settings.ca_certs:
            options["ca_certs"] = str(settings.ca_certs)
    if product == "opensearch":  # opensearch-py retries at once: it has no backoff setting
        from opensearchpy import OpenSearch

        return OpenSearch([public_url(url)], **options)
    from elasticsearch import Elasticsearch

    return Elasticsearch(
        public_url(url),
        retry_backoff_base=RETRY_BACKOFF[0],
        retry_backoff_cap=RETRY_BACKOFF[1],
        **options,
    )


@contextmanager
def cluster_errors(url: str) -> Iterator[None]:
    """Turn the clients' transport and API errors into :class:`ServiceError`."""
    import elastic_transport
    import elasticsearch
    import opensearchpy

    where = public_url(url)
    try:
        yield
    except (elasticsearch.ApiError, opensearchpy.TransportError) as exc:
        status = getattr(exc, "status_code", None) or getattr(exc, "meta", None)
        status = getattr(status, "status", status)
        raise ServiceError(
            f"the cluster at {where} refused the request (HTTP {status}): {_api_reason(exc)}",
            hint=_hint(status),
        ) from None
    except (elastic_transport.TransportError, opensearchpy.exceptions.ImproperlyConfigured) as exc:
        raise ServiceError(
            f"cannot reach the cluster at {where}: {type(exc).__name__}",
            hint="check the URL, that the cluster is up, and the CA certificate",
        ) from None


def _api_reason(exc: Exception) -> str:
    info = getattr(exc, "info", None) or getattr(exc, "body", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        return str(info["error"].get("reason") or info["error"].get("type"))
    return str(getattr(exc, "error", "") or type(exc).__name__)


def _hint(status: object) -> str | None:
    if status in (401, 403):
        return "check the API key or user/password of [elasticsearch] in socctl.toml"
    return None


@contextmanager
def _errors(url: str) -> Iterator[None]:
    where = public_url(url)
    try:
        yield
    except urllib.error.HTTPError as exc:
        raise ServiceError(
            f"the cluster at {where} answered HTTP {exc.code} {exc.reason}", hint=_hint(exc.code)
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = (
            f"TLS failure ({reason.reason or reason})"
            if isinstance(reason, ssl.SSLError)
            else str(getattr(reason, "strerror", None) or reason)
        )
        raise ServiceError(
            f"cannot reach the cluster at {where}: {text}",
            hint="check the URL, that the cluster is up, and the CA certificate",
        ) from None
    except (OSError, ValueError) as exc:
        raise ServiceError(f"cannot reach the cluster at {where}: {exc}") from None
