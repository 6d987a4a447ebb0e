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


def _unbind_evicted_submodules() -> None:
    """Make every package's submodule attributes agree with ``sys.modules`` again.

    pytester's in-process runs (``runpytest``, ``inline_run``) restore a snapshot of ``sys.modules``
    afterwards (``_pytest.pytester.SysModulesSnapshot.restore``): a module first imported during the
    run is dropped from it, but a package that was imported before keeps the attribute binding it
    (``http.cookiejar`` stays ``http``'s ``cookiejar``). The next import then makes two copies:
    ``from http import cookiejar`` (requests 2.34 ``compat.py``) takes the stale attribute, as
    importlib's ``_handle_fromlist`` imports nothing when the attribute exists, while ``from
    http.cookiejar import CookieJar`` (``cookies.py``) imports a fresh module from ``sys.modules``.
    ``RequestsCookieJar`` then derives from one ``CookieJar`` and ``merge_cookies`` checks against
    the other: "You can only merge into CookieJar" on every request of a later Azure replay
    (pytest-dev/pytest#14841 describes the same snapshot with another module). Dropping or
    rebinding such attributes makes the next import whole again.
    """
    import sys
    import types

    for name, module in list(sys.modules.items()):
        attrs = getattr(module, "__dict__", None)
        if not isinstance(attrs, dict) or "__path__" not in attrs:
            continue  # only a package has submodules
        for attr, value in list(attrs.items()):
            full = f"{name}.{attr}"
            if isinstance(value, types.ModuleType) and value.__name__ == full:
                current = sys.modules.get(full)
                if current is None:
                    delattr(module, attr)
                elif current is not value:
                    setattr(module, attr, current)


def _restore_sys_modules_whole() -> None:
    from _pytest import pytester

    restore = pytester.SysModulesSnapshot.restore  # an AttributeError here: pytest changed; see above
    if getattr(restore, "_unbinds_evicted_submodules", False):
        return

    def restore_whole(self: pytester.SysModulesSnapshot) -> None:
        restore(self)
        _unbind_evicted_submodules()

    restore_whole._unbinds_evicted_submodules = True  # type: ignore[attr-defined]
    pytester.SysModulesSnapshot.restore = restore_whole  # type: ignore[method-assign]


def pytest_configure(config):
    import random

    _restore_sys_modules_whole()

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
