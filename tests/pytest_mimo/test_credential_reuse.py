"""One Azure credential per run of a replay, as the actuator process holds one (issue #15, speed).

Production: ``mimo.actuator.context.ProductionTaskContext`` builds its ``AzureClients`` per attempt on
``mimo.azure.shared_credential`` — the process's one ``azure-identity`` credential, whose MSAL app keeps
the tenant's metadata and the token (azure-identity's ``GetTokenMixin``: a cached token is used until
it is within ``DEFAULT_REFRESH_OFFSET`` of expiry). A replay's run is one actuator process: its
attempts share one credential; the faulted run starts with a new one (``MimoWorld.forget_client_caches``:
the baseline's token and discovery requests are fault sites it must meet too); the idempotence run is
the same process running the task once more, and keeps the credential of the run before.
"""

from __future__ import annotations

from typing import Any

from mimo import TransientError, action, run_steps
from pytest_mimo.fakes.azure.models.identity import TOKEN_LIFETIME
from pytest_mimo.replay import Replayer

SECRET = "reuse-probe"


def _identity_requests(world: Any) -> list[str]:
    return [r.verb for r in world.azure.requests if r.extra.get("service") == "identity"]


def _read_then(fail_first: int) -> Any:
    """A task that reads a Key Vault secret, and fails (transiently) its first ``fail_first`` attempts."""
    from azure.core.exceptions import HttpResponseError

    def read(tc: Any) -> None:
        try:
            tc.cluster_keyvault().get_secret(SECRET)
        except HttpResponseError as e:  # the token endpoint's or the vault's transient answer
            raise TransientError(f"reading {SECRET}: {e}") from e

    def task(tc: Any, manifest: Any, cluster: Any) -> None:
        def maybe_fail(tc: Any) -> None:
            if manifest.dequeues <= fail_first:
                raise TransientError(f"attempt {manifest.dequeues} fails on purpose")

        run_steps(tc, [action(read), action(maybe_fail)])

    return task


def _seed(world: Any) -> None:
    vault = world.environment.cluster_keyvault_uri.split("//", 1)[1].split(".", 1)[0]
    world.azure.keyvault(vault).set_secret(SECRET, "value")


def test_attempts_of_one_run_share_the_token(mimo_world: Any) -> None:
    _seed(mimo_world)
    out = Replayer(mimo_world, faulted=False).replay(_read_then(2))
    assert out.ok, out.report()
    assert out.baseline is not None and out.baseline.dequeues == 3
    # the baseline, a new process: three attempts, one tenant discovery and one token (a credential
    # per attempt made three); the idempotence run (a new manifest: three attempts again) in the
    # same process asks for neither: the credential holds the token
    per_run = _identity_requests(mimo_world)
    assert per_run.count("token") == 1, per_run
    assert per_run.count("discovery") == 1, per_run


def test_a_token_past_its_expiry_on_the_simulated_clock_is_fetched_again(mimo_world: Any) -> None:
    _seed(mimo_world)
    # an hour and a bit between attempts: the token of attempt 1 (TOKEN_LIFETIME) has expired by attempt 2
    out = Replayer(mimo_world, faulted=False, poll_interval=TOKEN_LIFETIME + 60).replay(_read_then(1))
    assert out.ok, out.report()
    tokens = _identity_requests(mimo_world).count("token")
    # the baseline posts twice (attempt 2's token had expired; without the hour between attempts it
    # posts once, above); the idempotence run (a new manifest, failing its first attempt too) starts
    # with the baseline's last token, still valid, and posts once, for its attempt 2
    assert tokens == 3, f"baseline 2 attempts past the last token's expiry, idempotence 1; got {tokens}"


def test_a_fault_on_the_token_endpoint_still_reaches_the_credential(mimo_world: Any) -> None:
    _seed(mimo_world)

    def fail_attempt_1(inj: Any) -> None:  # every token request of attempt 1 (the credential's retries too)
        inj.inject("azure", "token_error", match=lambda req: req.verb == "token" and inj.attempt == 1)

    out = Replayer(mimo_world, seed=5, rate=0.0, configure=fail_attempt_1).replay(_read_then(0))
    assert out.ok, out.report()
    assert out.trace and {e.kind for e in out.trace} == {"token_error"}
    # the faulted run: attempt 1's token requests failed (nothing cached), attempt 2 asked again
    assert out.attempts == 2
    tokens = [r.fault for r in mimo_world.azure.requests if r.verb == "token"]
    failed = len(out.trace)
    # the idempotence run reuses the faulted run's token: no request
    assert tokens == [None, *["token_error"] * failed, None], "baseline, faulted run (attempts 1 and 2)"
