"""A typed wrapper over the official client of the product at a URL (see :mod:`.connect`):
the calls detection makes, with the product's differences (point-in-time API, tie-breaker)
kept here and every failure a :class:`~socctl.errors.ServiceError`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from socctl.config import ElasticsearchSettings
from socctl.store.cluster.connect import Product, cluster_errors, connect, detect_product
from socctl.store.cluster.connect import public_url as public_url

#: How long a point in time stays open between two pages.
KEEP_ALIVE = "2m"


@dataclass
class PointInTime:
    """An open point in time: ``id`` is the one to send next (every search answer may give a
    new one, and the latest is the one to close)."""

    id: str


@dataclass
class ClusterClient:
    """The cluster at ``url``; ``requests`` counts the requests detection sent (msearch, pages)."""

    url: str
    product: Product
    raw: Any
    requests: dict[str, int] = field(default_factory=dict)

    def _count(self, name: str) -> None:
        self.requests[name] = self.requests.get(name, 0) + 1

    @property
    def tiebreak(self) -> dict[str, str]:
        """The sort key that orders hits with equal times under a point in time."""
        return {"_shard_doc": "asc"} if self.product == "elasticsearch" else {"_id": "asc"}

    def mapping(self, index: str) -> dict[str, Any]:
        """The mappings of the indices ``index`` names (none: ``{}``, for a name as for a
        pattern)."""
        with cluster_errors(self.url):
            result: dict[str, Any] = self.raw.indices.get_mapping(
                index=index, ignore_unavailable=True, allow_no_indices=True
            )
            return result

    def max_concurrent_searches(self) -> int:
        """What the cluster runs of one msearch at once (its own default: nodes x search pool)."""
        with cluster_errors(self.url):
            nodes = self.raw.nodes.info(metric="thread_pool")["nodes"].values()
        size = sum(int(n["thread_pool"]["search"]["size"]) for n in nodes)
        return max(1, size)

    def msearch(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One ``_msearch`` of bodies that each name a point in time."""
        lines: list[dict[str, Any]] = []
        for body in searches:
            lines += [{}, body]
        self._count("msearch")
        with cluster_errors(self.url):
            answer = self.raw.msearch(body=lines)
        return list(answer["responses"])

    @contextmanager
    def point_in_time(self, index: str) -> Iterator[PointInTime]:
        """A point in time over ``index``, closed (by its latest id) on leaving."""
        with cluster_errors(self.url):
            if self.product == "elasticsearch":
                pit = str(self.raw.open_point_in_time(index=index, keep_alive=KEEP_ALIVE)["id"])
            else:
                pit = str(self.raw.create_pit(index=index, keep_alive=KEEP_ALIVE)["pit_id"])
        self._count("pit")
        opened = PointInTime(pit)
        try:
            yield opened
        finally:
            with cluster_errors(self.url):
                if self.product == "elasticsearch":
                    self.raw.close_point_in_time(id=opened.id)
                else:
                    self.raw.delete_pit(body={"pit_id": [opened.id]})


def open_client(settings: ElasticsearchSettings, url: str | None = None) -> ClusterClient:
    """The cluster at ``url`` (default: the first of ``settings.hosts``)."""
    target = url or settings.hosts[0]
    product = detect_product(target, settings)
    return ClusterClient(public_url(target), product, connect(target, settings, product))
