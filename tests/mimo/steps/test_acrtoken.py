"""Go ``EnsureACRTokenIsValid`` (``pkg/mimo/steps/cluster/acrtoken_checker.go``) against its test table
``TestEnsureACRToken`` (``acrtoken_checker_test.go``: "not found", "No issue date", "Expired", "Should
rotate token", "valid token") and ``acrtoken.ShouldRotateToken`` (``pkg/util/acrtoken/acrtoken.go``:
rotate after 140 days, valid while the 180 days have not ended)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from mimo import TerminalError
from mimo.api import RegistryProfile
from mimo.steps.cluster.acrtoken import ensure_acr_token_is_valid


def _with_profiles(tc: Any, profiles: list[RegistryProfile]) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    doc.properties.registry_profiles = profiles
    return tc.with_cluster_document(doc)


def _issued(tc: Any, days_ago: float, name: str | None = None) -> RegistryProfile:
    return RegistryProfile(
        name=name or tc.environment().acr_domain,
        username="u",
        issue_date=tc.now() - timedelta(days=days_ago),
    )


def test_valid_token_sets_the_result(fake_task_context: Any) -> None:
    """TestEnsureACRToken "valid token": the result message."""
    tc = _with_profiles(fake_task_context, [_issued(fake_task_context, 0)])
    ensure_acr_token_is_valid(tc)
    assert (
        tc.result_message
        == "token validity has 4320h0m0s remaining, should be rotated in 3360h0m0s"
    )


def test_default_document_token_is_thirty_days_old(fake_task_context: Any) -> None:
    ensure_acr_token_is_valid(fake_task_context)
    assert (
        fake_task_context.result_message
        == "token validity has 3600h0m0s remaining, should be rotated in 2640h0m0s"
    )


def test_only_the_environments_registry_counts(fake_task_context: Any) -> None:
    """TestEnsureACRToken "Should rotate token": only the profile named env.ACRDomain() counts."""
    tc = _with_profiles(
        fake_task_context,
        [_issued(fake_task_context, 400, "arosvc.azurecr.io"), _issued(fake_task_context, 0)],
    )
    ensure_acr_token_is_valid(tc)
    assert tc.result_message.startswith("token validity has 4320h0m0s")


@pytest.mark.parametrize("profiles", ["none", "other registry", "no issue date"])
def test_no_issue_date(fake_task_context: Any, profiles: str) -> None:
    """TestEnsureACRToken "not found" and "No issue date"."""
    tc = fake_task_context
    items = {
        "none": [],
        "other registry": [_issued(tc, 1, "arosvc.azurecr.io")],
        "no issue date": [replace(_issued(tc, 1), issue_date=None)],
    }[profiles]
    _with_profiles(tc, items)
    with pytest.raises(TerminalError) as e:
        ensure_acr_token_is_valid(tc)
    assert str(e.value) == "TerminalError: no issue date detected, please rotate token"


def test_expired(fake_task_context: Any) -> None:
    """TestEnsureACRToken "Expired": issued 365 days ago."""
    tc = _with_profiles(fake_task_context, [_issued(fake_task_context, 365)])
    with pytest.raises(TerminalError) as e:
        ensure_acr_token_is_valid(tc)
    assert str(e.value) == "TerminalError: token is expired"


def test_due_for_rotation(fake_task_context: Any) -> None:
    """TestEnsureACRToken "Should rotate token": issued 150 days ago (exact Go text)."""
    tc = _with_profiles(fake_task_context, [_issued(fake_task_context, 150)])
    with pytest.raises(TerminalError) as e:
        ensure_acr_token_is_valid(tc)
    assert (
        str(e.value)
        == "TerminalError: token able to be renewed for 240h0m0s, 720h0m0s validity remaining, please rotate"
    )


def test_boundaries(fake_task_context: Any) -> None:
    """ShouldRotateToken: shouldRotate = now.After(rotateIfAfter), isValid = validityEnd.After(now)."""
    tc = _with_profiles(fake_task_context, [_issued(fake_task_context, 140)])
    ensure_acr_token_is_valid(tc)  # exactly 140 days: not yet past
    assert tc.result_message == "token validity has 960h0m0s remaining, should be rotated in 0s"
    _with_profiles(tc, [replace(_issued(tc, 180), issue_date=tc.now() - timedelta(days=180) + timedelta(microseconds=1))])
    with pytest.raises(
        TerminalError, match="token able to be renewed for 959h59m59.999999s, 1µs validity remaining"
    ):
        ensure_acr_token_is_valid(tc)
    _with_profiles(tc, [_issued(tc, 180)])  # the validity ends now: expired
    with pytest.raises(TerminalError) as e:
        ensure_acr_token_is_valid(tc)
    assert str(e.value) == "TerminalError: token is expired"


def test_durations_keep_sub_second_digits_like_go(fake_task_context: Any) -> None:
    """Go prints ``59.999999s``; rounding to six significant digits would print ``59m60s``."""
    tc = fake_task_context
    profile = replace(_issued(tc, 0), issue_date=tc.now() - timedelta(microseconds=1))
    _with_profiles(tc, [profile])
    ensure_acr_token_is_valid(tc)
    assert tc.result_message == (
        "token validity has 4319h59m59.999999s remaining, "
        "should be rotated in 3359h59m59.999999s"
    )
