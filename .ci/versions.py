"""Print the installed version of every direct dependency that pyproject.toml declares."""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the 3.10 venv has tomli (a declared dependency there)
    import tomli as tomllib

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text("utf-8"))["project"]
requirements = list(project["dependencies"])
for extra in ("test",):
    requirements += project["optional-dependencies"][extra]
for req in requirements:
    name = re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0]
    try:
        print(f"   {name} {version(name)}   (declared: {req})")
    except PackageNotFoundError:
        print(f"   {name} not installed   (declared: {req})")
