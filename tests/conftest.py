pytest_plugins = ["pytester"]


# -- a real PostgreSQL server for the store tests (pytest_mimo.postgres; no mock) -------------
import os  # noqa: E402

import pytest  # noqa: E402

#: set by .ci/run: a missing PostgreSQL is a failure there, not a skip
REQUIRE_POSTGRES = os.environ.get("MIMO_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def pg_server():
    """One throw-away server per test process (initdb + pg_ctl on loopback), stopped at the end."""
    from pytest_mimo.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as e:
        if REQUIRE_POSTGRES:
            pytest.fail(f"MIMO_REQUIRE_POSTGRES=1 but {e}")
        pytest.skip(str(e))
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty database on the session's server."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


# -- the property suite of tests/mimo/cli/test_fuzz_inputs.py: its seed and what it tried -------------


def pytest_configure(config):
    import random

    # drawn once here, so that xdist workers (which inherit the environment) share it
    os.environ.setdefault("MIMO_FUZZ_SEED", str(random.SystemRandom().randrange(2**32)))


def pytest_report_header(config):
    return (f"mimo fuzz seed: {os.environ['MIMO_FUZZ_SEED']} (replay: MIMO_FUZZ_SEED=<seed>), "
            f"examples per command: {os.environ.get('MIMO_FUZZ_EXAMPLES', '150')}")


def pytest_terminal_summary(terminalreporter):
    lines = [value for rep in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
             for name, value in getattr(rep, "user_properties", []) if name == "mimo_fuzz" and rep.when == "call"]
    if lines:
        terminalreporter.section("mimo fuzz: inputs tried per command")
        for line in sorted(lines):
            terminalreporter.write_line(line)
