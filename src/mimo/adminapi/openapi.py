"""The admin API's OpenAPI document, as the app serves it at ``/openapi.json``.

``python -m mimo.adminapi.openapi [PATH]`` writes it (default
``docs/admin-api.openapi.json``, the checked-in copy a test keeps equal to
what the app serves).
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["document", "render", "DEFAULT_PATH"]

DEFAULT_PATH = "docs/admin-api.openapi.json"


def document() -> dict[str, Any]:
    from mimo.adminapi.app import create_app
    from mimo.adminapi.auth import Authenticator
    from mimo.adminapi.service import AdminService
    from mimo.store.memory import MemoryStore

    app = create_app(AdminService(MemoryStore()), Authenticator(anonymous=True))
    return app.openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else DEFAULT_PATH
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(document()))
    print(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
