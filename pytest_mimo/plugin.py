"""The pytest plugin (``pytest11`` entry point ``mimo = pytest_mimo.plugin``).

Options, markers, the session header, the fixtures, and the CI gate. Each
fixture is a few lines over a class that works without pytest
(:class:`~pytest_mimo.clock.SimClock`, ``FakeKube``, ``FakeAzure``,
:class:`~pytest_mimo.faults.FaultInjector`, :class:`~pytest_mimo.world.MimoWorld`,
:class:`~pytest_mimo.replay.Replayer`).
"""

from __future__ import annotations

import random
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_mimo import explore, hookspecs
from pytest_mimo.attempts import DEFAULT_WALL_BUDGET
from pytest_mimo.baselines import BaselineCache
from pytest_mimo.cases import ReplayCase, load_case
from pytest_mimo.clock import SimClock, parse_start
from pytest_mimo.context import FakeTaskContext
from pytest_mimo.faults import FaultInjector, FaultKind
from pytest_mimo.gate import Coverage
from pytest_mimo.invariants import invariants_in, unique
from pytest_mimo.replay import Replayer, ReplayOutcome, derive_seed, pick_site
from pytest_mimo.scenario import ScenarioReplay, as_builder
from pytest_mimo.settings import SETTINGS as _SETTINGS
from pytest_mimo.settings import Settings, settings
from pytest_mimo.simulation.pytest_items import pytest_collect_file  # noqa: F401
from pytest_mimo.world import MimoWorld

DEFAULT_REPLAYS = 5
DEFAULT_FAULT_RATE = 0.2

_INJECTOR = pytest.StashKey[FaultInjector]()
#: the last replay a test ran: its header goes on the test's own failure too
_OUTCOME = pytest.StashKey[ReplayOutcome]()
#: --mimo-replay-case, loaded; --mimo-shrink; the scenarios whose failure this process shrank
_CASE = pytest.StashKey[ReplayCase | None]()
_SHRINK = pytest.StashKey[int]()
_SHRUNK = pytest.StashKey[set[str]]()
#: exhaustive exploration: the baselines this process ran (the probe's, a site item's), reused
_BASELINES = pytest.StashKey[BaselineCache]()
#: on the xdist controller: the directory its workers share their probes in
_PROBE_DIR = pytest.StashKey[str]()
DEFAULT_SHRINK = 48


# -- registration -------------------------------------------------------------------------------


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimo", "MIMO task harness (pytest-mimo)")
    group.addoption("--mimo-seed", dest="mimo_seed", default=None,
                    help="base seed of fault plans and replays: an integer, or 'random' (default: ini mimo_seed or 0)")
    group.addoption("--mimo-replays", dest="mimo_replays", type=int, default=None,
                    help=f"faulted replays per mimo_replay test, after the clean one (default: ini mimo_replays or {DEFAULT_REPLAYS})")
    group.addoption("--mimo-fault-rate", dest="mimo_fault_rate", type=float, default=None,
                    help=f"background fault rate per backend request in replays (default {DEFAULT_FAULT_RATE})")
    group.addoption("--mimo-gate", dest="mimo_gate", action="store_true", default=False,
                    help="fail the session when a task of the packages under test (or of --mimo-gate-tasks) "
                         "has no mimo_scenario test; print the coverage table")
    group.addoption("--mimo-gate-tasks", dest="mimo_gate_tasks", default=None, metavar="IDS",
                    help="comma-separated task IDs the gate checks, instead of the packages under test")
    group.addoption("--mimo-wall-budget", dest="mimo_wall_budget", type=float, default=None, metavar="SECONDS",
                    help=f"real seconds one replay may take before it fails as stuck (default {DEFAULT_WALL_BUDGET:g}; 0: none)")
    group.addoption("--mimo-report", dest="mimo_report", default=None, metavar="PATH",
                    help="write the coverage table as JSON to PATH")
    group.addoption("--mimo-explore", dest="mimo_explore", default=None, choices=explore.MODES,
                    help="random: seeded replays (replay1..N, default); exhaustive: one item per fault site "
                         "of each scenario's baseline (with --mimo-gate: every site must be tried)")
    group.addoption("--mimo-fresh-baselines", dest="mimo_fresh_baselines", action="store_true", default=False,
                    help="exhaustive: every site item runs its own baseline (slower; by default a process "
                         "reuses a scenario's baseline across its site items)")
    group.addoption("--mimo-replay-case", dest="mimo_replay_case", default=None, metavar="PATH",
                    help="replay exactly this case (world variant and fault schedule; a file the shrinker "
                         "saved under .mimo/cases/) instead of the seeded replays")
    group.addoption("--mimo-shrink", dest="mimo_shrink", type=int, default=None, metavar="N",
                    help=f"shrink the first failing replay of each scenario in at most N replays "
                         f"(default {DEFAULT_SHRINK}; 0: do not shrink)")
    parser.addini("mimo_seed", "default --mimo-seed", default="0")
    parser.addini("mimo_replays", "default --mimo-replays", default=str(DEFAULT_REPLAYS))
    parser.addini("mimo_fault_rate", "default --mimo-fault-rate", default=str(DEFAULT_FAULT_RATE))
    parser.addini("mimo_clock_start", "start of the simulated clock (ISO 8601, UTC)", default="")
    parser.addini("mimo_explore", "default --mimo-explore (random or exhaustive)", default=explore.MODES[0])


def _parse_seed(value: str) -> tuple[int, bool]:
    if value.strip().lower() == "random":
        return random.SystemRandom().randrange(1, 2**31), True
    try:
        return int(value), False
    except ValueError:
        raise pytest.UsageError(f"--mimo-seed: {value!r} is not an integer or 'random'") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mimo_clock(start): start the simulated clock at this ISO 8601 UTC time")
    config.addinivalue_line(
        "markers", "mimo_faults(rate=0.2, kinds=[...], seed=None): background faults injected by mimo_faults"
    )
    config.addinivalue_line("markers", "mimo_scenario(task_id): this test proves the task (checked by --mimo-gate)")
    config.addinivalue_line("markers", "mimo_real_time: fake_azure runs on real time (no mimo_clock): LRO waits are real")

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "mimo_seed" in workerinput:
        seed, was_random = int(workerinput["mimo_seed"]), bool(workerinput["mimo_seed_random"])
    else:
        seed, was_random = _parse_seed(config.getoption("mimo_seed") or config.getini("mimo_seed") or "0")
    replays = config.getoption("mimo_replays")
    if replays is None:
        replays = int(config.getini("mimo_replays"))
    rate = config.getoption("mimo_fault_rate")
    if rate is None:
        rate = float(config.getini("mimo_fault_rate"))
    if replays < 0:
        raise pytest.UsageError("--mimo-replays must be >= 0")
    if not 0 <= rate <= 1:
        raise pytest.UsageError("--mimo-fault-rate must be between 0 and 1")
    budget = config.getoption("mimo_wall_budget")
    if budget is None:
        budget = DEFAULT_WALL_BUDGET
    if budget < 0:
        raise pytest.UsageError("--mimo-wall-budget must be >= 0")
    start = config.getini("mimo_clock_start") or None
    if start:
        try:
            parse_start(start)
        except ValueError as e:
            raise pytest.UsageError(f"ini mimo_clock_start: {e}") from None
    mode = config.getoption("mimo_explore") or config.getini("mimo_explore") or explore.MODES[0]
    if mode not in explore.MODES:
        raise pytest.UsageError(f"ini mimo_explore: {mode!r} is not one of {', '.join(explore.MODES)}")
    config.stash[_SETTINGS] = Settings(
        seed, was_random, replays, rate, bool(config.getoption("mimo_gate")), config.getoption("mimo_report"), start,
        float(budget), mode,
    )
    case_path = config.getoption("mimo_replay_case")
    try:
        config.stash[_CASE] = load_case(case_path) if case_path else None
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    shrink = config.getoption("mimo_shrink")
    if shrink is not None and shrink < 0:
        raise pytest.UsageError("--mimo-shrink must be >= 0")
    config.stash[_SHRINK] = DEFAULT_SHRINK if shrink is None else shrink
    config.stash[_SHRUNK] = set()
    if not config.getoption("mimo_fresh_baselines"):
        config.stash[_BASELINES] = BaselineCache()
    s = config.stash[_SETTINGS]
    if (s.gate or s.report) and workerinput is None:
        config.pluginmanager.register(GatePlugin(config), "mimo-gate")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller → workers: every worker uses the controller's (maybe random) seed."""
    s = node.config.stash[_SETTINGS]
    node.workerinput["mimo_seed"] = s.seed
    node.workerinput["mimo_seed_random"] = s.seed_was_random
    if s.explore == "exhaustive":  # the workers share the collection-time probes there
        if _PROBE_DIR not in node.config.stash:
            node.config.stash[_PROBE_DIR] = tempfile.mkdtemp(prefix="mimo-probes-")
        node.workerinput["mimo_probe_dir"] = node.config.stash[_PROBE_DIR]


def pytest_unconfigure(config: pytest.Config) -> None:
    probe_dir = config.stash.get(_PROBE_DIR, None)
    if probe_dir is not None:
        shutil.rmtree(probe_dir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    s = settings(config)
    seed = f"{s.seed} (random)" if s.seed_was_random else str(s.seed)
    return (
        f"mimo: seed={seed} replays={s.replays} fault-rate={s.fault_rate:g} "
        f"gate={'on' if s.gate else 'off'}{' report=' + s.report if s.report else ''}"
        f"{' explore=' + s.explore if s.explore != explore.MODES[0] else ''}"
    )


# -- replays are parametrized: seed 0 is clean, then N faulted ones --------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mimo_replay" in metafunc.fixturenames:
        if metafunc.config.stash.get(_CASE, None) is not None:  # the case's faulted run, once
            metafunc.parametrize("mimo_replay_index", [1], ids=["replay-case"])
            return
        s = settings(metafunc.config)
        # exhaustive: the clean replay0 only; pytest_collection_modifyitems adds one item per fault site
        n = 0 if s.explore == "exhaustive" else s.replays
        metafunc.parametrize("mimo_replay_index", range(n + 1), ids=[f"replay{i}" for i in range(n + 1)])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--mimo-explore=exhaustive``: each ``mimo_replay`` test's replay0, then one item per
    fault site of its baseline (found by a probe run of the test, :func:`pytest_mimo.explore.probe_all`;
    under xdist the workers share the probes). Before ``-k`` / ``-m`` deselect: they see the sites.
    Then every item's ``mimo_scenario`` marks are checked."""
    if settings(config).explore == "exhaustive" and config.stash.get(_CASE, None) is None:
        _explore(config, items)
    _check_marks(config, items)


def _explore(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [i for i in items if isinstance(i, pytest.Function) and "mimo_replay" in i.fixturenames]
    if not wanted:
        return
    workerinput = getattr(config, "workerinput", None) or {}
    probes = dict(zip(map(id, wanted), explore.probe_all(wanted, workerinput.get("mimo_probe_dir")), strict=True))
    out: list[pytest.Item] = []
    for item in items:
        probe = probes.get(id(item))
        if probe is not None:
            assert isinstance(item, pytest.Function)
            out.extend(explore.expand(item, node_base(item.nodeid), probe))
        else:
            out.append(item)
    items[:] = out


def _check_marks(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for mark in item.iter_markers("mimo_scenario"):
            if len(mark.args) != 1 or not isinstance(mark.args[0], str):
                raise pytest.UsageError(f"{item.nodeid}: mimo_scenario takes one task ID string")
            unknown = set(mark.kwargs) - {"invariants"}
            if unknown:
                raise pytest.UsageError(f"{item.nodeid}: mimo_scenario got unknown argument {sorted(unknown)[0]!r}")
            invs = mark.kwargs.get("invariants", ())
            if not isinstance(invs, (list, tuple)) or not all(callable(f) for f in invs):
                raise pytest.UsageError(f"{item.nodeid}: mimo_scenario(invariants=…) takes a list of functions of the world")
            item.user_properties.append(("mimo_scenario", mark.args[0]))


_REPLAY_ID = re.compile(r"(?:(?<=\[)|-)replay(?:\d+|-case)(?=-|\])")


def node_base(nodeid: str) -> str:
    """The node ID without its ``replayN`` parameter (the same for every replay of one test)."""
    base = _REPLAY_ID.sub("", nodeid).replace("[-", "[")
    return base[:-2] if base.endswith("[]") else base


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def mimo_clock(request: pytest.FixtureRequest) -> Iterator[SimClock]:
    """The simulated clock, running: ``time.time``, ``datetime.now`` and ``time.sleep`` follow it."""
    mark = request.node.get_closest_marker("mimo_clock")
    start = mark.args[0] if mark and mark.args else settings(request.config).clock_start
    try:
        clock = SimClock(start)
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    with clock:
        yield clock


@pytest.fixture
def mimo_faults(request: pytest.FixtureRequest) -> FaultInjector:
    """The fault injector for this test's fakes and contexts (``inject``, ``trace``)."""
    mark = request.node.get_closest_marker("mimo_faults")
    kw = dict(mark.kwargs) if mark else {}
    unknown = set(kw) - {"rate", "kinds", "seed"}
    if unknown:
        raise pytest.UsageError(f"{request.node.nodeid}: mimo_faults got unknown argument {sorted(unknown)[0]!r}")
    s = settings(request.config)
    seed = kw.get("seed")
    if seed is None:
        seed = derive_seed(s.seed, request.node.nodeid, "faults")
    kinds = kw.get("kinds")
    rate = float(kw.get("rate", 0.0 if mark is None else DEFAULT_FAULT_RATE))
    try:
        injector = FaultInjector(
            seed=int(seed),
            rate=rate,
            kinds=tuple(kinds) if kinds else None,
            crash_rate=rate / 2 if kinds is None or "crash_after_step" in kinds else 0.0,
            extra_kinds=_extra_kinds(request.config),
        )
    except ValueError as e:
        raise pytest.UsageError(f"{request.node.nodeid}: {e}") from None
    request.node.stash[_INJECTOR] = injector
    return injector


def _invariants(item: pytest.Item) -> list[Callable[..., Any]]:
    """``mimo_scenario(invariants=[…])`` and the ``@mimo_invariant`` functions of the test's module."""
    out: list[Callable[..., Any]] = []
    for mark in item.iter_markers("mimo_scenario"):
        out.extend(mark.kwargs.get("invariants", ()))
    module = getattr(item, "module", None)
    return unique([*out, *invariants_in(module)])


def _extra_kinds(config: pytest.Config) -> tuple[FaultKind, ...]:
    return tuple(k for result in config.hook.pytest_mimo_fault_kinds() for k in (result or ()))


@pytest.fixture
def fake_kube(request: pytest.FixtureRequest, mimo_faults: FaultInjector) -> Iterator[Any]:
    """A fake Kubernetes API server for one cluster, on 127.0.0.1."""
    from pytest_mimo.fakes.kube import FakeKube

    fake = FakeKube()
    for result in request.config.hook.pytest_mimo_kinds():
        for api_version, kind, plural, namespaced in result or ():
            fake.register_kind(api_version, kind, plural, namespaced)
    mimo_faults.attach(kube=fake)
    with fake:
        yield fake


@pytest.fixture
def fake_azure(request: pytest.FixtureRequest, mimo_faults: FaultInjector) -> Iterator[Any]:
    """Fake Azure Resource Manager, Key Vault and Entra ID endpoints (on ``responses``), on
    ``mimo_clock``: the SDK's LRO polling and retry waits are virtual unless the test is marked
    ``mimo_real_time``."""
    from pytest_mimo import defaults
    from pytest_mimo.fakes.azure import FakeAzure

    real = request.node.get_closest_marker("mimo_real_time") is not None
    clock = None if real else request.getfixturevalue("mimo_clock")
    fake = FakeAzure(subscription_id=defaults.SUBSCRIPTION_ID, tenant_id=defaults.TENANT_ID, clock=clock)
    mimo_faults.attach(azure=fake)
    with fake:
        yield fake


@pytest.fixture
def make_task_context(mimo_clock: SimClock, mimo_faults: FaultInjector) -> Callable[..., FakeTaskContext]:
    """``make_task_context(**options)`` → a new ``FakeTaskContext`` on ``mimo_clock``."""

    def make(**options: Any) -> FakeTaskContext:
        options.setdefault("step_observer", mimo_faults)
        return FakeTaskContext(mimo_clock, **options)

    return make


@pytest.fixture
def fake_task_context(make_task_context: Callable[..., FakeTaskContext]) -> FakeTaskContext:
    """A FakeTaskContext with a default environment, cluster and Registered subscription; nothing wired."""
    return make_task_context()


@pytest.fixture
def mimo_world(mimo_clock: SimClock, fake_kube: Any, fake_azure: Any, mimo_faults: FaultInjector) -> MimoWorld:
    """One cluster's whole world: clock, kube, azure, store, documents, environment."""
    return MimoWorld(mimo_clock, kube=fake_kube, azure=fake_azure, faults=mimo_faults)


@pytest.fixture
def mimo_replay_index() -> int:
    """Which replay of the test this is (0 = clean); parametrized by the plugin."""
    return 0


@pytest.fixture
def mimo_replay(
    request: pytest.FixtureRequest, mimo_world: MimoWorld, mimo_replay_index: int
) -> Callable[..., ReplayOutcome]:
    """``mimo_replay(task, *, ignore=(), max_dequeues=5, world=None)``: run a task under this replay's
    seeded fault plan; ``world``: a world builder (:mod:`pytest_mimo.variants`) whose variant this
    replay draws."""
    s = settings(request.config)
    item = request.node
    probe: explore.Probe | None = item.stash.get(explore.PROBE, None)
    site: explore.ExploreSite | None = item.stash.get(explore.SITE, None)
    base = site.base if site is not None else node_base(item.nodeid)
    index = mimo_replay_index
    seed = derive_seed(s.seed, base, index) if index else 0
    if site is not None:
        seed = derive_seed(s.seed, base, "site", site.site.describe())
    order_seed = derive_seed(s.seed, base, "sites")
    scenario = next((str(m.args[0]) for m in item.iter_markers("mimo_scenario") if m.args), None)
    extra = _extra_kinds(request.config)

    case = request.config.stash.get(_CASE, None)

    def make_replayer(**overrides: Any) -> Replayer:
        kw: dict[str, Any] = dict(
            seed=seed,
            faulted=index > 0 or site is not None,
            rate=0.0 if site is not None else s.fault_rate,
            site=site.site if site is not None else None,
            site_picker=lambda pairs: pick_site(pairs, order_seed, index),
            extra_kinds=extra,
            wall_budget=s.wall_budget,
            invariants=_invariants(item),
            baseline_cache=request.config.stash.get(_BASELINES, None) if site is not None or probe is not None else None,
            cache_scope=base,
        )
        kw.update(overrides)
        return Replayer(mimo_world, **kw)

    def replay(task: Any, *, ignore: Any = (), max_dequeues: int = 5, world: Any = None) -> ReplayOutcome:
        try:
            # an exhaustive site item replays the default variant: its sites are that baseline's
            runs = ScenarioReplay(mimo_world, make_replayer, scenario=base, seed=seed,
                                  faulted=index > 0 and site is None, builder=as_builder(world), case=case)
            if probe is not None:  # collection time: only the baseline, for its sites
                base_run = runs.baseline(task, max_dequeues=max_dequeues)
                probe.sites = explore.exhaustive_sites(base_run.requests, base_run.steps, extra)
                raise explore.Probed(f"{len(probe.sites)} fault sites")
            outcome = runs.replay(task, ignore=ignore, max_dequeues=max_dequeues)
        except (TypeError, ValueError) as e:
            if "mimo_replay(world=" in str(e) or "--mimo-replay-case" in str(e) or "world variant" in str(e):
                pytest.fail(str(e), pytrace=False)
            raise
        if case is not None:
            args = [f"--mimo-replay-case={shlex.quote(str(request.config.getoption('mimo_replay_case')))}"]
        elif site is not None:
            args = [f"--mimo-seed={s.seed}", "--mimo-explore=exhaustive"]
        else:
            args = [f"--mimo-seed={s.seed}", f"--mimo-replays={max(index, 1)}", f"--mimo-fault-rate={s.fault_rate:g}"]
        outcome.command = " ".join(["pytest", shlex.quote(item.nodeid), "-p", "no:xdist", *args])
        pairs = outcome.pairs
        if s.explore == "exhaustive" and outcome.baseline is not None:
            pairs = explore.exhaustive_sites(outcome.baseline.requests, outcome.baseline.steps, extra)
        shrunk = request.config.stash[_SHRUNK]
        budget = request.config.stash[_SHRINK]
        if (
            outcome.violations and case is None and budget and base not in shrunk
            and runs.shrink(task, outcome, budget=budget, ignore=ignore, max_dequeues=max_dequeues) is not None
        ):
            shrunk.add(base)  # the first shrinkable failure of a scenario in this process: later ones are alike
            case_id = _REPLAY_ID.sub(lambda m: m.group(0)[: m.group(0).index("r")] + "replay-case", item.nodeid)
            outcome.shrunk = runs.shrunk_report(
                Path(request.config.rootpath),
                lambda path: f"pytest {shlex.quote(case_id)} -p no:xdist --mimo-replay-case={shlex.quote(str(path))}",
            )
        data = outcome.to_dict()
        data.update(
            scenario=base,
            site_id=outcome.site.describe() if outcome.site else None,
            pair_ids=[p.describe() for p in pairs],
            pair_kinds=sorted({f"{p.target}.{p.kind}" for p in pairs}),
            kinds_injected=sorted({f"{e.target}.{e.kind}" for e in outcome.trace}),
        )
        item.user_properties.append(("mimo_replay", {**data, "scenario_task": scenario}))
        item.stash[_OUTCOME] = outcome
        request.config.hook.pytest_mimo_replay_outcome(item=item, outcome=outcome)
        if outcome.violations:
            pytest.fail(outcome.report(), pytrace=False)
        return outcome

    return replay


# -- failure sections and the gate -----------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    outcome: Any = yield
    rep = outcome.get_result()
    injector = item.stash.get(_INJECTOR, None)
    if rep.when == "call" and rep.passed and injector is not None:
        silent = [r for r in injector.rules if r.fired == 0]
        if silent:
            rep.outcome = "failed"
            rep.longrepr = "\n".join(
                f"mimo_faults: rule {r.describe()} never fired: no request or step of this test matched it "
                "(a fault that is never injected tests nothing)"
                for r in silent
            )
    replayed = item.stash.get(_OUTCOME, None)
    if rep.when == "call" and rep.failed and replayed is not None and replayed.ok:
        # the scenario's own check failed after a clean verdict: the same header as a violation
        head = replayed.report(
            headline=f"mimo replay of task {replayed.task_id}: the scenario's own check failed after the replay"
        )
        rep.longrepr = f"{head}\n\n{rep.longrepr}"
    if rep.failed and injector is not None and (injector.trace or injector.rate or injector.rules):
        lines = [f"seed: {injector.seed}", *(str(e) for e in injector.trace)]
        rep.sections.append(("mimo faults", "\n".join(lines)))


def gate_tasks(config: pytest.Config, tasks: dict[str, Any]) -> list[str]:
    """The task IDs the gate checks: ``--mimo-gate-tasks``, else those of the packages under test.

    A task is of a package under test when the file defining its function lies below the
    session's rootdir and not in an installed environment (``site-packages``): a task author's
    gate checks their own tasks, not the built-ins installed with ``pymimo`` (this project's own
    run checks the built-ins, whose source is below its rootdir). An ID not registered is a usage
    error naming it.
    """
    given = config.getoption("mimo_gate_tasks", default=None)
    if given is not None:
        ids = [x.strip().lower() for x in str(given).split(",") if x.strip()]
        unknown = [x for x in ids if x not in tasks]
        if not ids or unknown:
            raise pytest.UsageError(
                f"--mimo-gate-tasks: {', '.join(unknown) or repr(given)}: not a registered task ID "
                f"(registered: {len(tasks)}; see mimo tasks)"
            )
        return sorted(set(ids))
    import inspect
    from pathlib import Path

    root = Path(config.rootpath).resolve()
    mine = []
    for tid, fn in tasks.items():
        try:
            source = Path(inspect.getsourcefile(inspect.unwrap(fn)) or "").resolve()
        except TypeError:  # a builtin or a C callable: no file to place it
            continue
        if root in source.parents and not {"site-packages", "dist-packages"} & set(source.parts):
            mine.append(tid)
    return sorted(mine)


class GatePlugin:
    """Collects scenarios and replay outcomes from test reports (on the xdist controller too),
    fails the session when a checked task (gate_tasks) has no scenario, prints and writes the table."""

    def __init__(self, config: pytest.Config) -> None:
        from mimo import const
        from mimo.tasks import load_tasks

        self.config = config
        names = {v: k for k, v in const.ALL_TASK_IDS.items()}
        tasks = load_tasks()
        self.coverage = Coverage(
            {tid: names.get(tid, getattr(fn, "__name__", "")) for tid, fn in tasks.items()},
            checked=gate_tasks(config, tasks),
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = getattr(report, "user_properties", None) or []
        if report.when == "setup":
            for tid in Coverage.from_properties(props)[0]:
                self.coverage.add_scenario(tid, report.nodeid)
        elif report.when == "call":
            for r in Coverage.from_properties(props)[1]:
                self.coverage.add_replay(r.get("scenario_task"), r, passed=report.passed)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        s = settings(self.config)
        if s.report:
            self.coverage.write(s.report)
        if s.gate and (self.coverage.missing() or self._untried()) and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _untried(self) -> list[str]:
        """Exhaustive exploration: the checked tasks' fault sites no item tried (the gate wants none)."""
        return self.coverage.untried() if settings(self.config).explore == "exhaustive" else []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        s = settings(self.config)
        cov = self.coverage
        tr = terminalreporter
        tr.section("mimo gate: replay coverage")
        for line in cov.render():
            tr.write_line(line)
        if s.gate:
            missing = cov.missing()
            if missing:
                names = ", ".join(f"{cov.registry[t] or '?'} ({t})" for t in missing)
                tr.write_line(f"mimo gate FAILED: tasks without a mimo_scenario test: {names}", red=True, bold=True)
            untried = self._untried()
            if untried:
                tr.write_line(
                    f"mimo gate FAILED: exhaustive exploration left {len(untried)} fault site(s) untried:",
                    red=True, bold=True,
                )
                for line in explore.describe_untried(untried):
                    tr.write_line(line)
            if not missing and not untried:
                sites = sum(len(cov.tasks[t].pairs_existing) for t in cov.checked if t in cov.tasks)
                tr.write_line(
                    f"mimo gate passed: every checked task ({len(cov.checked)}) has a mimo_scenario test"
                    + (f"; all {sites} fault sites tried" if settings(self.config).explore == "exhaustive" else ""),
                    green=True,
                )
        if s.report:
            tr.write_line(f"mimo report written to {s.report}")


