"""Run the ``mimo`` console script in process, exactly as ``mimo`` runs it (``mimo.cli.main``), and
look at a store's bytes: what the bad-input tests and the property suite share."""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from mimo.api import MaintenanceManifest, MaintenanceSchedule, OpenShiftClusterDocument, Selector
from mimo.cli import main
from mimo.store import SqliteStore

PLUGIN_DIR = Path(__file__).parent / "plugins"
NOOP_ID = "00000000-0000-4000-8000-00000000a001"
SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/demo"
RID_LOW = RID.lower()
CLUSTER_ID = "22222222-2222-4222-8222-222222222222"
MANIFEST_ID = "33333333-3333-4333-8333-333333333333"
SCHEDULE_ID = "44444444-4444-4444-8444-444444444444"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    #: the traceback of an exception that escaped the console script (None when none did)
    crash: str | None = None

    def refused(self) -> str:
        """The one refusal line, after checking it is one (``mimo: error: …``, exit 2, no traceback)."""
        assert self.crash is None, self.crash
        assert self.code == 2, (self.code, self.stdout, self.stderr)
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("mimo: error: "), lines[0]
        assert "Traceback" not in self.stderr + self.stdout
        return lines[0]


def run_mimo(args: Sequence[str], env: Mapping[str, str | None] | None = None) -> Outcome:
    """``mimo ARGS`` in process: exit code, stdout, stderr, and any exception that escaped ``main``."""
    runner = CliRunner()
    crash = None
    code = 0
    with runner.isolation(env=dict(env or {})) as (out, err, _):
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:  # noqa: BLE001 - this is what the tests look for
            crash = traceback.format_exc()
            code = -1
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return Outcome(code, stdout, stderr, crash)


def store_bytes(db: Path) -> dict[str, bytes]:
    """The store's files (the database and any WAL/SHM beside it), by name."""
    return {p.name: p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")) if p.is_file()}


def seed_store(db: Path) -> None:
    """A store with one cluster (and its subscription), one manifest and one schedule."""
    s = SqliteStore(db)
    try:
        s.put_cluster(OpenShiftClusterDocument(id=CLUSTER_ID, resource_id=RID))
        from mimo.api import SubscriptionDocument

        s.put_subscription(SubscriptionDocument(id=SUB))
        s.create_manifest(MaintenanceManifest.new(RID, NOOP_ID, now=NOW, run_after=NOW + 3600, id=MANIFEST_ID))
        s.put_schedule(MaintenanceSchedule(
            maintenance_task_id=NOOP_ID, schedule="Mon *-*-* 00:00", id=SCHEDULE_ID,
            selectors=[Selector(key="resourceID", operator="eq", value=RID_LOW)],
        ))
    finally:
        s.close()
