"""Virtual time by default: the ``fake_azure`` fixture runs on ``mimo_clock``; ``FakeAzure(clock=...)``
starts and stops the clock it was given. The SDK's LRO polling (``Retry-After``) and retry back-off
then cost no wall time."""

from __future__ import annotations

import time

from mimo.environment import Environment
from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.azure import FakeAzure

pytest_plugins = ["pytester"]

VNET = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network"
        "/virtualNetworks/vnet")
VNET_BODY = {"location": "eastus", "properties": {"subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}]}}
NIC = {"location": "eastus", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {
    "subnet": {"id": f"{VNET}/subnets/s"}}}]}}


def test_a_fake_with_a_clock_makes_lro_waits_virtual() -> None:
    clock = SimClock("2026-03-02T09:00:00Z")
    with FakeAzure(clock=clock, lro_seconds=60) as fake:
        assert clock.running
        fake.add_resource_group("rg")
        fake.put_resource(VNET, VNET_BODY)
        nics = fake.clients(Environment()).interfaces_client()
        wall = time.perf_counter()
        nics.begin_create_or_update("rg", "nic", NIC).result()
        nics.begin_delete("rg", "nic").result()
        wall = time.perf_counter() - wall
        assert clock.elapsed.total_seconds() >= 120  # two operations of 60 s, waited out in virtual time
        assert wall < 60  # and not in wall time
    assert not clock.running  # the fake stopped the clock it started


def test_a_running_clock_is_left_running() -> None:
    with SimClock() as clock:
        with FakeAzure(clock=clock):
            pass
        assert clock.running


def test_the_fixture_alone_gives_virtual_time(pytester) -> None:  # type: ignore[no-untyped-def]
    """Only ``fake_azure``: no ``mimo_clock`` asked for, yet a NIC create + delete (two 30 s
    operations, polled every ``Retry-After: 10``) waits in virtual time."""
    pytester.makepyfile(
        """
        import time
        import pytest
        from mimo.environment import Environment

        def test_nic(fake_azure):
            fake_azure.add_resource_group("rg")
            vnet = f"/subscriptions/{fake_azure.subscription_id}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
            NIC = {"location": "eastus", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {
                "subnet": {"id": vnet + "/subnets/s"}}}]}}
            fake_azure.put_resource(vnet, {"location": "eastus", "properties": {"subnets": [
                {"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})
            nics = fake_azure.clients(Environment()).interfaces_client()
            t0, w0 = time.time(), time.perf_counter()
            nics.begin_create_or_update("rg", "nic", NIC).result()
            nics.begin_delete("rg", "nic").result()
            assert time.time() - t0 >= 2 * fake_azure.lro_seconds
            assert time.perf_counter() - w0 < fake_azure.lro_seconds
            assert fake_azure.clock is not None and fake_azure.clock.running

        def test_same_clock(fake_azure, mimo_clock):
            assert fake_azure.clock is mimo_clock

        @pytest.mark.mimo_real_time
        def test_real(fake_azure):
            assert fake_azure.clock is None
            t0 = time.time()
            time.sleep(0.01)
            assert 0 < time.time() - t0 < 5
        """
    )
    pytester.runpytest("-p", "no:xdist", "-p", "no:randomly").assert_outcomes(passed=3)
