"""Is the cluster's pull token for the region's container registry still good?

An ACR token lives :data:`TOKEN_VALIDITY` (180 days) and should be rotated
after :data:`TOKEN_ROTATION` (140 days). The check only reads the cluster
document: it fails (terminal, a human rotates the token) when the token is
missing its issue date, expired, or due for rotation.
"""

from __future__ import annotations

from datetime import timedelta

from mimo.context import TaskContext, get_task_context
from mimo.durations import format_duration
from mimo.errors import TerminalError

__all__ = ["TOKEN_VALIDITY", "TOKEN_ROTATION", "ensure_acr_token_is_valid"]

TOKEN_VALIDITY = timedelta(days=180)
TOKEN_ROTATION = timedelta(days=140)


def ensure_acr_token_is_valid(tc: TaskContext) -> None:
    """Go's ``EnsureACRTokenIsValid`` (``pkg/mimo/steps/cluster/acrtoken_checker.go``): check the issue
    date of the registry profile named exactly the environment's ACR domain
    (``acrtoken.GetRegistryProfileFromSlice``)."""
    tc = get_task_context(tc)
    acr_domain = tc.environment().acr_domain
    profile = next(
        (
            p
            for p in tc.get_openshift_cluster_properties().registry_profiles
            if p.name == acr_domain
        ),
        None,
    )
    if profile is None or profile.issue_date is None:
        raise TerminalError("no issue date detected, please rotate token")

    now = tc.now()
    expires = profile.issue_date + TOKEN_VALIDITY
    rotate_from = profile.issue_date + TOKEN_ROTATION
    # Go acrtoken.ShouldRotateToken: isValid = validityEnd.After(now) (expired from the very
    # instant the validity ends), shouldRotate = now.After(rotateIfAfter)
    if now >= expires:
        raise TerminalError("token is expired")
    if now > rotate_from:
        raise TerminalError(
            f"token able to be renewed for {format_duration(now - rotate_from)}, "
            f"{format_duration(expires - now)} validity remaining, please rotate"
        )
    tc.set_result_message(
        f"token validity has {format_duration(expires - now)} remaining, "
        f"should be rotated in {format_duration(rotate_from - now)}"
    )
