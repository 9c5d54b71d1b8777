"""A client for the cluster at a URL: Elasticsearch or OpenSearch, told apart by ``GET /``
(OpenSearch names its ``distribution``; Elasticsearch sends ``X-Elastic-Product``).

Credentials, CA certificate, verification and timeouts come from the ``[elasticsearch]``
section of socctl.toml (:class:`~socctl.config.ElasticsearchSettings`). ``GET /`` and every
request of the client after it are retried with backoff on 429, 502, 503 and 504 answers,
timeouts and failed connections, a bounded number of times (:mod:`socctl.store.cluster.retry`).
Elasticsearch is asked for version 8 of its REST API, which Elasticsearch 8 and 9 both
serve. Every failure to reach or use the cluster is a :class:`~socctl.errors.ServiceError`
naming the URL (without credentials) and the reason, never a secret.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from socctl.config import ElasticsearchSettings
from socctl.errors import ServiceError, UsageError
from socctl.store.cluster.retry import RETRY_STATUS, with_retries

#: The REST API version asked of Elasticsearch: 8 and 9 serve it (8 refuses 9, the client's own).
ES_API_VERSION = 8
_COMPAT = re.compile(r"compatible-with=\d+")

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


def _transient(exc: Exception) -> bool:
    """A ``GET /`` failure worth retrying: a retried status, or a timeout."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in RETRY_STATUS
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, TimeoutError)


def _root(url: str, settings: ElasticsearchSettings) -> tuple[Any, str | None]:
    """``GET /``'s body and ``X-Elastic-Product`` header, retried as every request is."""
    request = urllib.request.Request(
        public_url(url).rstrip("/") + "/", headers=_headers(url, settings)
    )
    context = _ssl_context(settings) if url.startswith("https") else None

    def get() -> tuple[Any, str | None]:
        with urllib.request.urlopen(
            request, timeout=settings.request_timeout, context=context
        ) as response:
            return json.load(response), response.headers.get("X-Elastic-Product")

    return with_retries(get, settings.max_retries, transient=_transient)


def check_url(url: str) -> None:
    """A :class:`~socctl.errors.UsageError` unless ``url`` is an http(s) address with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"not the HTTP address of a cluster node: '{public_url(url) if parts.hostname else url}'",
            hint="give http://HOST:PORT or https://HOST:PORT (Elasticsearch and OpenSearch listen on 9200)",
        )


def detect_product(url: str, settings: ElasticsearchSettings) -> Product:
    """Which product answers at ``url`` (``GET /``)."""
    check_url(url)
    with _errors(url):
        try:
            info, product = _root(url, settings)
        except ValueError:  # not JSON: a web page, a proxy's login form
            info, product = None, None
    version = info.get("version", {}) if isinstance(info, dict) else {}
    if isinstance(version, dict) and version.get("distribution") == "opensearch":
        return "opensearch"
    if product == "Elasticsearch":
        return "elasticsearch"
    raise ServiceError(
        f"the server at {public_url(url)} is neither Elasticsearch nor OpenSearch: GET / answered"
        " without Elasticsearch's X-Elastic-Product header or OpenSearch's distribution",
        hint="give the HTTP address of a node (Elasticsearch 7.14 or later, or OpenSearch)",
    )


@cache
def _es_transport() -> type:
    """elastic-transport's ``Transport`` asking for :data:`ES_API_VERSION` of the REST API and
    retrying with backoff (:func:`~socctl.store.cluster.retry.with_retries`)."""
    from elastic_transport import ConnectionError, ConnectionTimeout, HttpHeaders, Transport

    class Compatible(Transport):
        def perform_request(self, method: str, target: str, **options: Any) -> Any:
            headers = HttpHeaders(options.get("headers") or {})
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = _COMPAT.sub(f"compatible-with={ES_API_VERSION}", headers[name])
            once = {**options, "headers": headers, "max_retries": 0}
            return with_retries(
                lambda: super(Compatible, self).perform_request(method, target, **once),
                options.get("max_retries", 0),
                transient=lambda e: isinstance(e, ConnectionError | ConnectionTimeout),
                refused=lambda answer: answer.meta.status in RETRY_STATUS,
            )

    return Compatible


@cache
def _opensearch_transport() -> type:
    """opensearch-py's ``Transport`` retrying with backoff instead of at once."""
    from opensearchpy import ConnectionError, ConnectionTimeout, Transport, TransportError

    def transient(exc: Exception) -> bool:
        if isinstance(exc, ConnectionError | ConnectionTimeout):
            return True
        return isinstance(exc, TransportError) and exc.status_code in RETRY_STATUS

    class Backoff(Transport):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.retries, self.max_retries = self.max_retries, 0

        def perform_request(self, *args: Any, **kwargs: Any) -> Any:
            call = super().perform_request
            return with_retries(lambda: call(*args, **kwargs), self.retries, transient=transient)

    return Backoff


def connect(url: str, settings: ElasticsearchSettings, product: Product | None = None) -> Any:
    """An ``OpenSearch`` or ``Elasticsearch`` client for ``url``, by what answers there
    (``product`` when already known)."""
    product = product or detect_product(url, settings)
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
    if product == "opensearch":
        from opensearchpy import OpenSearch

        return OpenSearch([public_url(url)], transport_class=_opensearch_transport(), **options)
    from elasticsearch import Elasticsearch

    return Elasticsearch(public_url(url), transport_class=_es_transport(), **options)


@contextmanager
def cluster_errors(url: str) -> Iterator[None]:
    """Turn the clients' transport and API errors into :class:`ServiceError`."""
    import elastic_transport
    import elasticsearch
    import opensearchpy

    where = public_url(url)
    try:
        yield
    except (elastic_transport.ConnectionTimeout, opensearchpy.ConnectionTimeout):
        raise _timed_out(where) from None
    except (elastic_transport.TransportError, opensearchpy.ConnectionError) as exc:
        raise ServiceError(
            f"cannot reach the cluster at {where}: {type(exc).__name__}",
            hint="check the URL, that the cluster is up, and the CA certificate",
        ) from None
    except (elasticsearch.ApiError, opensearchpy.TransportError) as exc:
        status = getattr(exc, "status_code", None) or getattr(exc, "meta", None)
        status = getattr(status, "status", status)
        raise ServiceError(
            f"the cluster at {where} refused the request (HTTP {status}): {_api_reason(exc)}",
            hint=_hint(status),
        ) from None
    except opensearchpy.exceptions.ImproperlyConfigured as exc:
        raise ServiceError(
            f"cannot reach the cluster at {where}: {type(exc).__name__}",
            hint="check the URL, that the cluster is up, and the CA certificate",
        ) from None


def _timed_out(where: str) -> ServiceError:
    return ServiceError(
        f"the cluster at {where} did not answer within the request timeout, retries included",
        hint="raise [elasticsearch] request_timeout in socctl.toml, or check the cluster's load",
    )


#: The most of an error's reason shown (a proxy's error page can be long).
REASON_CHARS = 300


def _api_reason(exc: Exception) -> str:
    info = getattr(exc, "info", None) or getattr(exc, "body", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        reason = str(info["error"].get("reason") or info["error"].get("type"))
    else:
        reason = str(getattr(exc, "error", "") or type(exc).__name__)
    return _short(reason)


def _short(reason: str) -> str:
    """``reason`` on one line, at most :data:`REASON_CHARS` long."""
    text = " ".join(reason.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def _hint(status: object) -> str | None:
    if status == 401:
        return "check the API key or user/password (the URL's, or [elasticsearch] in socctl.toml)"
    if status == 403:
        return "the API key or user of [elasticsearch] lacks the privilege named; grant it"
    return None


@contextmanager
def _errors(url: str) -> Iterator[None]:
    where = public_url(url)
    try:
        yield
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
            said = str(body["error"].get("reason") or body["error"]["type"])
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            said = str(exc.reason)
        raise ServiceError(
            f"the cluster at {where} answered HTTP {exc.code}: {_short(said)}",
            hint=_hint(exc.code),
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise _timed_out(where) from None
        text = (
            f"TLS failure ({reason.reason or reason})"
            if isinstance(reason, ssl.SSLError)
            else str(getattr(reason, "strerror", None) or reason)
        )
        raise ServiceError(
            f"cannot reach the cluster at {where}: {text}",
            hint="check the URL, that the cluster is up, and the CA certificate",
        ) from None
    except TimeoutError:
        raise _timed_out(where) from None
    except (OSError, ValueError) as exc:
        raise ServiceError(f"cannot reach the cluster at {where}: {exc}") from None
