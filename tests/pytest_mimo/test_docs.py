"""The harness docs hold: the guide's fault-kind table is the one table, and the design notes'
examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_mimo.faultkinds import KINDS, markdown_table
from pytest_mimo.faults import TARGETS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_guide_lists_the_fault_kinds_from_the_one_table() -> None:
    text = (DOCS / "writing-tasks.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- fault-kinds -->\n(.*?)\n<!-- /fault-kinds -->", text, re.DOTALL)
    assert m, "docs/writing-tasks.md has no <!-- fault-kinds --> table"
    assert m.group(1) == markdown_table(), "regenerate it with pytest_mimo.faultkinds.markdown_table()"


def test_inject_accepts_exactly_the_table() -> None:
    assert {t: set(k) for t, k in TARGETS.items()} == {t: {k.name for k in v} for t, v in KINDS.items()}
    assert "connection_reset" in TARGETS["azure"] and "pause_past_lease" in TARGETS["step"]


def test_the_design_notes_examples_run() -> None:
    text = (DOCS / "harness-design.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- design-example -->\n```python\n(.*?)```", text, re.DOTALL)
    assert blocks, "docs/harness-design.md has no <!-- design-example --> block"
    for i, code in enumerate(blocks):
        exec(compile(code, f"harness-design.md example {i + 1}", "exec"), {})  # noqa: S102 - our own docs
