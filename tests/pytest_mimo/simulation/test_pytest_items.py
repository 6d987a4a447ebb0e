"""``simulations/*.toml`` collected and run as pytest items, through pytester."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def _simulations(pytester, tiny_text: str) -> None:
    d = pytester.mkdir("simulations")
    one_day = tiny_text.replace('duration = "3d"', 'duration = "1d"').replace("manifests_min = 10", "manifests_min = 4")
    (d / "good.toml").write_text(one_day)
    (d / "README.md").write_text("not a scenario")
    bad = one_day + 'failed_min = 2\nlatency_p50_max = "0s"\n'
    (d / "strict.toml").write_text(bad)
    (d / "broken.toml").write_text(tiny_text.replace("clusters = 4", "clusters = -1"))
    pytester.path.joinpath("other.toml").write_text("[tool]\nname = 'not collected: not under simulations/'\n")


def test_each_scenario_is_an_item_whose_assertions_are_its_expectations(pytester, tiny_text: str) -> None:
    _simulations(pytester, tiny_text)
    result = pytester.runpytest("-p", "no:xdist", "-p", "no:randomly", "-rA", "simulations", ".")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["PASSED simulations/good.toml::good"])
    # each failed expectation named, with expected and actual, and the seed to replay it
    result.stdout.fnmatch_lines([
        "*scenario tiny (seed 4): 2 expectation(s) failed*",
        "*failed_min: expected >= 2, got 0*",
        "*latency_p50_max: expected <= 0s, got *",
        "*replay: mimo simulate *strict.toml --seed 4*",
    ])
    result.stdout.fnmatch_lines(["*bad scenario: *broken.toml: fleet.clusters: must be at least 1, got -1*"])
    assert "other.toml" not in out


def test_mimo_seed_overrides_the_scenario_seed(pytester, tiny_text: str) -> None:
    _simulations(pytester, tiny_text)
    result = pytester.runpytest("-p", "no:xdist", "-p", "no:randomly", "--mimo-seed", "77", "simulations/strict.toml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*scenario tiny (seed 77): 2 expectation(s) failed*", "*--seed 77*"])


def test_collect_only_lists_scenarios(pytester, tiny_text: str) -> None:
    _simulations(pytester, tiny_text)
    result = pytester.runpytest("-p", "no:xdist", "--collect-only", "-q", "simulations")
    result.stdout.fnmatch_lines(["simulations/broken.toml::broken", "simulations/good.toml::good",
                                 "simulations/strict.toml::strict"])
