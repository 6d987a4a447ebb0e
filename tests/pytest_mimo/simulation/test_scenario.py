"""Scenario TOML: the default and the examples load; every bad input names its field."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mimo import const
from pytest_mimo.simulation.scenario import (
    DEFAULT_SCENARIO,
    ScenarioError,
    format_span,
    load_scenario,
    parse_scenario,
    parse_span,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]


def test_default_scenario_is_package_data_and_the_weekly_tls_rotation() -> None:
    """``mimo simulate`` with no file (the README's main job) runs simulations/weekly-tls-rotation.toml,
    shipped inside the package so that it works from an installed wheel."""
    assert DEFAULT_SCENARIO.is_file()
    assert DEFAULT_SCENARIO.read_bytes() == (ROOT / "simulations" / "weekly-tls-rotation.toml").read_bytes()
    sc = load_scenario(None)
    assert sc.name == "weekly-tls-rotation"
    assert sc.source == "default.toml (embedded)"
    assert [s.name for s in sc.schedules] == ["tls-rotation"]
    assert sc.run.duration == timedelta(days=28)
    assert {e.key for e in sc.expect} >= {"completed_share_min", "latency_p95_max"}


@pytest.mark.parametrize("path", sorted((ROOT / "simulations").glob("*.toml")), ids=lambda p: p.name)
def test_example_scenarios_are_valid(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.expect, "an example without expectations proves nothing"


def test_one_example_has_an_incident() -> None:
    assert any(load_scenario(p).faults.incidents for p in (ROOT / "simulations").glob("*.toml"))


def test_tasks_by_constant_or_uuid(tiny_text: str) -> None:
    data = tomllib.loads(tiny_text)
    data["schedules"][1]["task"] = const.TLS_CERT_ROTATION_ID.upper()
    sc = parse_scenario(data)
    assert [s.task_id for s in sc.schedules] == [const.ACR_TOKEN_CHECKER_ID, const.TLS_CERT_ROTATION_ID]


def test_incident_bounds_relative_or_absolute(tiny_text: str) -> None:
    data = tomllib.loads(tiny_text)
    data["faults"]["incidents"] = [
        {"start": "1d6h", "end": "2026-01-06T12:00:00Z", "share": 0.5, "target": "azure", "kind": "throttle"},
    ]
    inc = parse_scenario(data).faults.incidents[0]
    assert (inc.start, inc.end) == (timedelta(days=1, hours=6), timedelta(days=1, hours=12))
    assert inc.rate == 1.0 and inc.name == "incident 0"


def test_spans() -> None:
    assert parse_span("21d", "x") == timedelta(days=21)
    assert parse_span("1d12h30m", "x") == timedelta(days=1, hours=12, minutes=30)
    assert parse_span("2w", "x") == timedelta(days=14)
    assert parse_span(90, "x") == timedelta(seconds=90)
    assert format_span(93784) == "1d2h3m4s"
    assert format_span(0) == "0s"
    assert format_span(0.25) == "0.2s"
    for bad in ("", "3 days", "d3", "-1d", True, None):
        with pytest.raises(ScenarioError, match=r"^run\.duration: "):
            parse_span(bad, "run.duration")


BAD = [
    ("unknown top-level", lambda d: d.update(fleets={}), r"^fleets: unknown field"),
    ("clusters 0", lambda d: d["fleet"].update(clusters=0), r"^fleet\.clusters: must be at least 1, got 0"),
    ("clusters text", lambda d: d["fleet"].update(clusters="10"), r"^fleet\.clusters: must be an integer"),
    ("too many subscriptions", lambda d: d["fleet"].update(subscriptions=9), r"^fleet\.subscriptions: 9 subscriptions for 4"),
    ("shares sum", lambda d: d["fleet"].update(outbound_type={"Loadbalancer": 0.7, "UserDefinedRouting": 0.2}),
     r"^fleet\.outbound_type: shares must add up to 1 \(they add up to 0\.9\)"),
    ("unknown mix value", lambda d: d["fleet"].update(architecture_version={"3": 1.0}),
     r"^fleet\.architecture_version\.3: unknown value"),
    ("share range", lambda d: d["fleet"].update(managed_domain=1.5), r"^fleet\.managed_domain: must be a number between 0 and 1"),
    ("acr age", lambda d: d["fleet"].update(acr_token_age_days=[10, 1]), r"^fleet\.acr_token_age_days: "),
    ("fleet typo", lambda d: d["fleet"].update(cluster=3), r"^fleet\.cluster: unknown field"),
    ("no schedules", lambda d: d.update(schedules=[]), r"^schedules: at least one"),
    ("task unknown", lambda d: d["schedules"][0].update(task="NOPE"), r"^schedules\[0\]\.task: 'NOPE' is neither"),
    ("task not built in", lambda d: d["schedules"][1].update(task="12345678-1234-4234-8234-123456789abc"),
     r"^schedules\[1\]\.task: 12345678-1234-4234-8234-123456789abc is not a built-in task"),
    ("calendar", lambda d: d["schedules"][1].update(calendar="Mon *-*-* 00:10"), r"^schedules\[1\]\.calendar: "),
    ("selector", lambda d: d["schedules"][0].update(selectors=[{"key": "outboundType", "operator": "in", "value": "x"}]),
     r"^schedules\[0\]\.selectors\[0\] \(key 'outboundType'\): "),
    ("selector key", lambda d: d["schedules"][0].update(selectors=[{"key": "colour", "operator": "eq", "value": "x"}]),
     r"^schedules\[0\]\.selectors\[0\] \(key 'colour'\): unknown key"),
    ("across", lambda d: d["schedules"][0].update(scheduleAcross="1 day"), r"^schedules\[0\]\.scheduleAcross: "),
    ("lookForward", lambda d: d["schedules"][0].update(lookForwardCount=0), r"^schedules\[0\]\.lookForwardCount: must be at least 1"),
    ("same name", lambda d: d["schedules"][1].update(name="acr"), r"^schedules\[1\]\.name: 'acr' is used twice"),
    ("fault kind", lambda d: d["faults"]["kube"].update(lro_failed=0.1), r"^faults\.kube\.lro_failed: not a kube fault kind"),
    ("fault rate", lambda d: d["faults"]["kube"].update(throttle=2), r"^faults\.kube\.throttle: must be a number between 0 and 1"),
    ("fault target", lambda d: d["faults"].update(network={}), r"^faults\.network: unknown field"),
    ("incident order", lambda d: d["faults"].update(incidents=[{"start": "2d", "end": "1d", "target": "kube", "kind": "timeout"}]),
     r"^faults\.incidents\[0\]\.end: must be after start"),
    ("incident after end", lambda d: d["faults"].update(incidents=[{"start": "5d", "end": "6d", "target": "kube", "kind": "timeout"}]),
     r"^faults\.incidents\[0\]\.start: after the run's end"),
    ("incident kind", lambda d: d["faults"].update(incidents=[{"start": "1d", "end": "2d", "target": "azure", "kind": "conflict"}]),
     r"^faults\.incidents\[0\]\.kind: 'conflict' is not a azure fault kind"),
    ("incident missing", lambda d: d["faults"].update(incidents=[{"start": "1d", "target": "kube", "kind": "timeout"}]),
     r"^faults\.incidents\[0\]\.end: missing"),
    ("incident time", lambda d: d["faults"].update(incidents=[{"start": "tomorrow", "end": "2d", "target": "kube", "kind": "timeout"}]),
     r"^faults\.incidents\[0\]\.start: 'tomorrow' is not a time"),
    ("duration", lambda d: d["run"].update(duration="0d"), r"^run\.duration: must be positive"),
    ("workers", lambda d: d["run"].update(workers=0), r"^run\.workers: must be at least 1"),
    ("start", lambda d: d["run"].update(start="monday"), r"^run\.start: 'monday' is not a time"),
    ("store", lambda d: d["run"].update(store="postgres"), r"^run\.store: 'postgres' is not"),
    ("expect unknown", lambda d: d["expect"].update(completed_min_share=1), r"^expect\.completed_min_share: unknown expectation"),
    ("expect share", lambda d: d["expect"].update(completed_share_min=95), r"^expect\.completed_share_min: must be a number between 0 and 1"),
    ("expect duration", lambda d: d["expect"].update(latency_p95_max="two hours"), r"^expect\.latency_p95_max: 'two hours' is not a duration"),
    ("expect count", lambda d: d["expect"].update(failed_max=-1), r"^expect\.failed_max: must be a number >= 0"),
    ("seed", lambda d: d.update(seed=-3), r"^seed: must be an integer >= 0"),
]


@pytest.mark.parametrize(("mutate", "message"), [pytest.param(m, r, id=i) for i, m, r in BAD])
def test_bad_input_names_the_field(tiny_text: str, mutate, message: str) -> None:
    data = tomllib.loads(tiny_text)
    data.setdefault("faults", {}).setdefault("kube", {})
    mutate(data)
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data)


def test_file_errors_name_the_file(write_scenario) -> None:
    p = write_scenario("[fleet\nclusters = 3\n", "broken.toml")
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        load_scenario(p)
    p = write_scenario("[fleet]\nclusters = 0\n", "zero.toml")
    with pytest.raises(ScenarioError, match=r"zero\.toml: fleet\.clusters: must be at least 1"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match=r"missing\.toml: cannot read"):
        load_scenario(p.parent / "missing.toml")


def test_start_defaults_to_the_harness_clock(tiny_text: str) -> None:
    assert parse_scenario(tomllib.loads(tiny_text)).run.start == datetime(2026, 1, 5, tzinfo=timezone.utc)


def test_more_shards_than_clusters_is_refused() -> None:
    data = {"fleet": {"clusters": 2, "subscriptions": 1}, "run": {"shards": 3},
            "schedules": [{"task": "ACR_TOKEN_CHECKER_ID", "calendar": "*-*-* 06:00"}]}
    with pytest.raises(ScenarioError, match=r"^run\.shards: 3 shards for 2 clusters"):
        parse_scenario(data)
    data["run"] = {"shards": 0}
    with pytest.raises(ScenarioError, match=r"^run\.shards"):
        parse_scenario(data)
