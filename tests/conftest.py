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
