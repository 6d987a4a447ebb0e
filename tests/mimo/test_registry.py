import pytest

from mimo import const
from mimo.hookspecs import hookimpl
from mimo.tasks import DEFAULT_MAINTENANCE_TASKS, RegistryError, load_tasks

ID_A = "aaaaaaaa-0000-4000-8000-000000000001"


def task_a(tc, manifest, cluster):
    pass


class PluginA:
    @hookimpl
    def mimo_register_tasks(self):
        return {ID_A: task_a}


class PluginDup:
    @hookimpl
    def mimo_register_tasks(self):
        return {ID_A: task_a}


class PluginBadID:
    @hookimpl
    def mimo_register_tasks(self):
        return {"not-a-uuid": task_a}


def test_plugin_adds_task():
    tasks = load_tasks({}, plugins=[PluginA()], entry_points=False)
    assert tasks == {ID_A: task_a}


def test_duplicate_through_hook_names_both_sources():
    with pytest.raises(RegistryError) as info:
        load_tasks({}, plugins=[PluginA(), PluginDup()], entry_points=False)
    msg = str(info.value)
    assert ID_A in msg and "registered twice" in msg
    assert "PluginA" in msg or "PluginDup" in msg
    assert msg.count(" by ") == 2


def test_duplicate_of_builtin_names_builtin():
    with pytest.raises(RegistryError, match=r"mimo\.tasks\.DEFAULT_MAINTENANCE_TASKS"):
        load_tasks({ID_A: task_a}, plugins=[PluginA()], entry_points=False)


def test_non_uuid_refused_naming_source():
    with pytest.raises(RegistryError, match=r"'not-a-uuid' from .*PluginBadID.* is not a UUID"):
        load_tasks({}, plugins=[PluginBadID()], entry_points=False)


def test_default_registry_loads_and_uses_known_ids():
    tasks = load_tasks()
    assert set(DEFAULT_MAINTENANCE_TASKS) <= set(tasks)
    assert set(DEFAULT_MAINTENANCE_TASKS) <= set(const.ALL_TASK_IDS.values())


def test_const_ids_are_the_reference_uuids():
    assert const.TLS_CERT_ROTATION_ID == "9b741734-6505-447f-8510-85eb0ae561a2"
    assert const.FIX_SSH_ID == "888fc221-b059-49db-bd02-22ad86cccd6b"
    # every ID names one task (no hard-coded count: a new task adds one)
    assert len(set(const.ALL_TASK_IDS.values())) == len(const.ALL_TASK_IDS)
