"""pytester's in-process runs leave the import system whole (tests/conftest.py).

An inline run drops the modules it imported from ``sys.modules`` when it ends; a package imported
before keeps its attribute for the dropped submodule, and the next import then made two copies of
it: ``from pkg import child`` (requests' ``from http import cookiejar``) the stale one, ``import
pkg.child`` a fresh one. That is how the world-corner suites of test_worlds.py, run inline, broke
every later in-process TLS replay with "You can only merge into CookieJar".
"""

from __future__ import annotations

import importlib
import sys

import pytest


def test_after_an_inline_run_both_forms_of_import_give_one_module(pytester: pytest.Pytester) -> None:
    pkg = pytester.mkpydir("leakpkg")
    (pkg / "child.py").write_text("class Jar:\n    pass\n")
    pytester.syspathinsert()
    import leakpkg  # noqa: F401 - imported before the run, so it survives the run's restore

    pytester.makepyfile(test_inner="import leakpkg.child\n\ndef test_x():\n    assert leakpkg.child.Jar\n")
    pytester.runpytest("-p", "no:xdist", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert "leakpkg.child" not in sys.modules  # the run's own import was dropped

    from leakpkg import child as by_attribute  # requests/compat.py: from http import cookiejar

    by_sys_modules = importlib.import_module("leakpkg.child")  # requests/cookies.py: from http.cookiejar import …
    assert by_attribute is by_sys_modules, "a stale submodule was left bound to its package"
    assert isinstance(by_sys_modules.Jar(), by_attribute.Jar)  # the check merge_cookies makes
