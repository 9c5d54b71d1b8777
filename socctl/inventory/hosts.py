"""Hosts to systems: which system, owner and level a host name or IP belongs to.

Built once per run (alert enrichment looks up every alert): names and IPs are dict look-ups,
an IP inside CIDRs is one dict look-up per distinct prefix length, most specific first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from socctl.inventory.store import SystemStore
from socctl.inventory.system import Status, System, parse_host
from socctl.workspace import Workspace

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Answers remembered per index (alerts repeat the same hosts); the memo is emptied when full.
MEMO_SIZE = 65_536
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class SystemRef:
    """The system a host belongs to, as alerts and drills show it."""

    id: str
    name: str
    owner: str
    level: int | None
    component: str | None = None


@dataclass
class HostIndex:
    """Host names (case-insensitive, short or fully qualified), IPs and CIDRs to systems."""

    names: dict[str, SystemRef] = field(default_factory=dict)
    short_names: dict[str, SystemRef | None] = field(default_factory=dict)
    ips: dict[IPAddress, SystemRef] = field(default_factory=dict)
    networks: dict[tuple[int, int], dict[int, SystemRef]] = field(default_factory=dict)
    #: Hosts claimed by more than one system: "host: kept-id, ignored-id".
    conflicts: list[str] = field(default_factory=list)
    _prefixes: dict[int, list[int]] = field(default_factory=dict)
    _memo: dict[str, SystemRef | None] = field(default_factory=dict)

    @classmethod
    def build(
        cls, systems: Iterable[System], level_of: Callable[[System], int | None]
    ) -> HostIndex:
        """Index ``systems``; on a host claimed twice, an active system beats a retired one,
        then the smaller id wins (and the clash is listed in ``conflicts``)."""
        index = cls()
        ordered = sorted(systems, key=lambda s: (s.status is Status.retired, s.id))
        for system in ordered:
            level = level_of(system)
            for component in system.components:
                ref = SystemRef(system.id, system.name, system.owner, level, component.id)
                for host in component.hosts:
                    index._add(host, ref)
        for version in (4, 6):
            lengths = sorted({plen for v, plen in index.networks if v == version}, reverse=True)
            index._prefixes[version] = lengths
        return index

    @classmethod
    def from_workspace(cls, ws: Workspace) -> HostIndex:
        """The index of every system in the workspace, with each system's proposed level."""
        store = SystemStore(ws)
        return cls.build(store.list(), store.level_or_none)

    def _claim(self, table: dict[K, SystemRef], key: K, ref: SystemRef, shown: str) -> None:
        kept = table.setdefault(key, ref)
        if kept is not ref and kept.id != ref.id:
            self.conflicts.append(f"{shown}: {kept.id}, {ref.id}")

    def _add(self, host: str, ref: SystemRef) -> None:
        spec = parse_host(host)
        if isinstance(spec, ipaddress.IPv4Network | ipaddress.IPv6Network):
            if spec.prefixlen == spec.max_prefixlen:
                self._claim(self.ips, spec.network_address, ref, host)
                return
            table = self.networks.setdefault((spec.version, spec.prefixlen), {})
            key = int(spec.network_address) >> (spec.max_prefixlen - spec.prefixlen)
            self._claim(table, key, ref, host)
        elif isinstance(spec, str):
            self._claim(self.names, spec, ref, host)
            short = spec.split(".", 1)[0]
            if short != spec:
                kept = self.short_names.setdefault(short, ref)
                if kept is not None and kept.id != ref.id:
                    self.short_names[short] = None  # ambiguous: two systems share the short name
        else:
            self._claim(self.ips, spec, ref, host)

    def lookup(self, host_or_ip: str) -> SystemRef | None:
        """The system of a host name or IP address, or None when no system claims it."""
        try:
            return self._memo[host_or_ip]
        except KeyError:
            pass
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        found = self._memo[host_or_ip] = self._resolve(host_or_ip)
        return found

    def _resolve(self, host_or_ip: str) -> SystemRef | None:
        text = host_or_ip.strip().strip("[]").lower().rstrip(".")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return self._lookup_name(text)
        return self._lookup_ip(address)

    def _lookup_ip(self, address: IPAddress) -> SystemRef | None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        found = self.ips.get(address)
        if found is not None:
            return found
        bits = address.max_prefixlen
        value = int(address)
        for plen in self._prefixes.get(address.version, ()):
            found = self.networks[(address.version, plen)].get(value >> (bits - plen))
            if found is not None:
                return found
        return None

    def _lookup_name(self, name: str) -> SystemRef | None:
        found = self.names.get(name)
        if found is not None:
            return found
        short = name.split(".", 1)[0]
        if short != name:
            return self.names.get(short)  # a host filed by its short name, asked by FQDN
        return self.short_names.get(name)  # a host filed by FQDN, asked by its short name
