"""Exhaustive exploration: every fault site of a scenario's baseline as its own pytest item.

``--mimo-explore=exhaustive`` turns each ``mimo_replay`` test into one clean
replay (``replay0``) and one item per fault site of its baseline — each request
× each fault kind that applies to it (:func:`pytest_mimo.faults.sites_from`),
and a crash after every step that completed — each replaying exactly that one
fault (no background faults). The items carry readable IDs::

    test_tls_cert_rotation[site0007-kube-PUT-secrets-ns-name-n1-throttle]

so that ``-k`` selects them and ``-n auto`` (xdist) spreads them over its
workers one by one.

The sites come from a **probe** at the end of collection: the test is run once
with its fixtures, and its ``mimo_replay`` call runs only the clean baseline,
records the baseline's sites and stops the test (:class:`Probed`). The baseline
runs on the simulated clock with no faults, so every process computes the same
sites in the same order (xdist refuses workers whose collections differ). Under
xdist the workers share the probes (:func:`probe_all`): each claims the next
scenario no other has claimed (a file in a directory the controller made), probes
it and writes its sites there; each then reads the others' — every scenario is
probed once, and both workers probe at once. The probe's baseline stays in its
process's :class:`~pytest_mimo.baselines.BaselineCache` for the site items.

``--mimo-explore=random`` (the default) keeps the seeded replays: ``replayN``
items, each targeting a site picked from a seed-shuffled order plus background
faults at ``--mimo-fault-rate``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_mimo.fakes.base import FakeRequest
from pytest_mimo.faults import FaultKind, FaultSite, sites_from

__all__ = [
    "MODES",
    "PROBE",
    "SITE",
    "ExploreSite",
    "Probe",
    "Probed",
    "exhaustive_sites",
    "expand",
    "probe_all",
    "site_token",
]

#: the values ``--mimo-explore`` accepts (the first is the default)
MODES = ("random", "exhaustive")


class Probed(BaseException):  # noqa: N818 - it stops the probe run; no scenario code may catch it
    """Raised by ``mimo_replay`` in a probe once the baseline's sites are recorded."""


@dataclass
class Probe:
    """What a probe run of one test found: its baseline's sites (``None``: no replay reached)."""

    sites: list[FaultSite] | None = None
    error: str = ""


@dataclass(frozen=True)
class ExploreSite:
    """The site one exhaustive item replays, and the node ID (without site) its scenario shares."""

    index: int
    site: FaultSite
    base: str
    total: int = 0
    token: str = field(default="", compare=False)


#: on a probe's item: where ``mimo_replay`` records the baseline's sites
PROBE = pytest.StashKey[Probe]()
#: on an exhaustive item: the one site it replays
SITE = pytest.StashKey[ExploreSite]()


def exhaustive_sites(
    requests: Iterable[FakeRequest], steps: Iterable[tuple[int, str]], extra: Sequence[FaultKind] = ()
) -> list[FaultSite]:
    """Every fault site of a baseline, in a stable order: the sites random replays pick from,
    and a crash before and one after every write (``crash_before_write``, ``crash_after_write``)."""
    return sites_from(requests, steps, extra, explore_only=True)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


def _short(text: str, limit: int = 40) -> str:
    cleaned = _UNSAFE.sub("-", text).strip("-")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip("-") + "~"


def _what(site: FaultSite) -> str:
    """The request's kind of path and the object it names, short: ``secrets-openshift-config-x``."""
    if site.target == "kube":  # "<plural>.<group>/<namespace>/<name>"
        parts = [p for p in site.resource.split("/") if p]
        plural = parts[0].split(".", 1)[0] if parts else site.verb
        return _short("-".join([plural, *parts[1:]]) or site.verb)
    if site.target == "azure":  # a lower-cased resource ID, or vault/secret
        if site.verb == "token":
            return "token"
        parts = [p for p in site.resource.split("/") if p]
        if "providers" in parts:
            tail = parts[parts.index("providers") + 2:]  # after the namespace: type/name[/type/name]
            return _short("-".join(tail[-2:]) if tail else site.verb)
        return _short("-".join(parts[-2:]) or site.verb)
    if site.target == "step":
        return _short(f"{site.step_index}-{site.resource}")
    return _short(site.resource.split("/", 1)[0] or site.verb)


def site_token(index: int, site: FaultSite) -> str:
    """The readable, unique part of an exhaustive item's ID for ``site`` (its ``index`` in the list)."""
    if site.target == "step":
        return f"site{index:04d}-step-{_what(site)}-{site.kind}"
    return f"site{index:04d}-{site.target}-{site.method}-{_what(site)}-n{site.occurrence}-{site.kind}"


def _probe(item: pytest.Function) -> Probe:
    """Run ``item`` once (fixtures, test body) with ``mimo_replay`` in probe mode."""
    from _pytest.runner import runtestprotocol  # the public way to run one item without logging it

    clone = pytest.Function.from_parent(
        item.parent,
        name=item.name,
        callspec=getattr(item, "callspec", None),
        fixtureinfo=item._fixtureinfo,
        originalname=item.originalname,
    )
    probe = Probe()
    clone.stash[PROBE] = probe
    reports = runtestprotocol(clone, log=False, nextitem=None)
    if probe.sites is None:
        failed = [r for r in reports if r.failed or r.skipped]
        probe.error = str(failed[0].longrepr)[:500] if failed else "the test made no mimo_replay call"
    return probe


def _probe_to_json(probe: Probe) -> str:
    return json.dumps({"sites": None if probe.sites is None else [x.to_dict() for x in probe.sites],
                       "error": probe.error})


def _probe_from_json(text: str) -> Probe:
    data = json.loads(text)
    sites = None if data["sites"] is None else [FaultSite(**x) for x in data["sites"]]
    return Probe(sites, data["error"])


_REAL_SLEEP = time.sleep  #: a wait for another worker's probe is real (no simulated clock runs then)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def probe_all(items: Sequence[pytest.Function], shared: str | None = None) -> list[Probe]:
    """The probes of ``items``, in order. With ``shared`` (a directory all xdist workers see), the
    workers split them: a worker probes each item no other has claimed yet (``<n>.claim``, created
    exclusively, holds its PID), writes ``<n>.json``, then reads the ones the others wrote, waiting
    for them (and probing itself one whose claimant died without writing)."""
    if shared is None:
        return [_probe(item) for item in items]
    root = Path(shared)
    found: dict[int, Probe] = {}
    for n, item in enumerate(items):
        try:
            fd = os.open(root / f"{n}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        found[n] = _publish(root, n, _probe(item))
    for n, item in enumerate(items):
        while n not in found:
            done = root / f"{n}.json"
            if done.exists():
                found[n] = _probe_from_json(done.read_text())
                continue
            try:
                pid = int((root / f"{n}.claim").read_text() or "0")
            except (OSError, ValueError):
                pid = 0
            if pid and not _alive(pid):  # its claimant is gone: probe it here
                found[n] = _publish(root, n, _probe(item))
                continue
            _REAL_SLEEP(0.02)
    return [found[n] for n in range(len(items))]


def _publish(root: Path, n: int, probe: Probe) -> Probe:
    tmp = root / f"{n}.{os.getpid()}.tmp"
    tmp.write_text(_probe_to_json(probe))
    os.replace(tmp, root / f"{n}.json")
    return probe


def expand(item: pytest.Function, base: str, probe: Probe) -> list[pytest.Function]:
    """``item`` (a ``replay0``) and one item per fault site its ``probe`` found, in site order.

    A test whose probe reached no replay (it failed or skipped before, or never calls
    ``mimo_replay``) keeps only ``item``: it runs, and fails or skips, as it would."""
    if not probe.sites:
        return [item]
    out = [item]
    callspec = item.callspec  # mimo_replay_index is always parametrized (replay0 here)
    for index, site in enumerate(probe.sites):
        token = site_token(index, site)
        # pytest builds the node ID from the callspec's ids: the site's token takes replay0's place
        ids = [token if i == "replay0" else i for i in callspec._idlist]
        new = pytest.Function.from_parent(
            item.parent,
            name=f"{item.originalname}[{'-'.join(ids)}]",
            callspec=dataclasses.replace(callspec, _idlist=ids),
            fixtureinfo=item._fixtureinfo,
            originalname=item.originalname,
        )
        new.stash[SITE] = ExploreSite(index, site, base, len(probe.sites), token)
        out.append(new)
    return out


def describe_untried(untried: Sequence[str], limit: int = 20) -> list[str]:
    """The untried sites, one a line, at most ``limit`` (then how many more)."""
    lines = [f"  - {s}" for s in untried[:limit]]
    if len(untried) > limit:
        lines.append(f"  … {len(untried) - limit} more (the JSON report, --mimo-report, lists them all)")
    return lines


def replay_options(item: Any) -> dict[str, Any]:
    """How an exhaustive item's replay differs from a random one: its site, no background faults."""
    info: ExploreSite | None = item.stash.get(SITE, None)
    if info is None:
        return {}
    return {"site": info.site, "rate": 0.0}
