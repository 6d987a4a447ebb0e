"""``/healthz``, ``/livez``, ``/readyz`` as the generic API server answers them.

``k8s.io/apiserver/pkg/server/healthz/healthz.go`` (``InstallPathHandlerWithHealthyFunc``,
``handleRootHealth``, ``adaptCheckToHandler``): the root path runs every check and answers
``ok`` (``text/plain; charset=utf-8``, ``X-Content-Type-Options: nosniff``); with
``?verbose`` it lists ``[+]<check> ok`` per check then ``<name> check passed``;
``?exclude=<check>`` lists it as ``[+]<check> excluded: ok`` and an exclude that names
no check adds ``warn: some health checks cannot be excluded: no matches for "<x>"``.
Each check has its own path (``/healthz/ping``) answering ``ok``; any other path under
the root is Go's ``404 page not found``.

The checks are those of the generic server (``DefaultHealthChecks``: ``ping``, ``log``;
the storage's ``etcd``; readyz adds ``etcd-readiness``, ``informer-sync`` and
``shutdown``). A real kube-apiserver lists its post-start hooks too
(``poststarthook/...``); the fake has none, so it lists none.
"""

from __future__ import annotations

from urllib.parse import parse_qs

__all__ = ["CHECKS", "answer"]

#: the checks of each root path, in the order the server runs (and lists) them
CHECKS: dict[str, tuple[str, ...]] = {
    "healthz": ("ping", "log", "etcd"),
    "livez": ("ping", "log", "etcd"),
    "readyz": ("ping", "log", "etcd", "etcd-readiness", "informer-sync", "shutdown"),
}

_TEXT = "text/plain; charset=utf-8"
_NOT_FOUND = (404, b"404 page not found\n", _TEXT, {"X-Content-Type-Options": "nosniff"})

Answer = tuple[int, bytes, str, dict[str, str]]


def _quoted(names: list[str]) -> str:
    return ",".join(f'"{n}"' for n in names)


def answer(path: str, raw_query: str) -> Answer | None:
    """The answer to a health path, or None when ``path`` is not one (``raw_query`` as sent:
    ``?verbose`` has no value, and Go's ``URL.Query()`` keeps it)."""
    root, _, check = path.strip("/").partition("/")
    checks = CHECKS.get(root)
    if checks is None or not path.startswith("/" + root):
        return None
    query = parse_qs(raw_query, keep_blank_values=True)
    headers = {"X-Content-Type-Options": "nosniff"}
    if check:
        # adaptCheckToHandler: one check, "ok" (every check of the fake passes)
        return (200, b"ok", _TEXT, headers) if check in checks else _NOT_FOUND
    if path.endswith("/"):
        return _NOT_FOUND
    excluded = list(dict.fromkeys(query.get("exclude", [])))
    lines: list[str] = []
    for name in checks:
        if name in excluded:
            excluded.remove(name)
            lines.append(f"[+]{name} excluded: ok")
        else:
            lines.append(f"[+]{name} ok")
    if excluded:
        lines.append(
            "warn: some health checks cannot be excluded: no matches for "
            + _quoted(sorted(excluded))
        )
    if "verbose" not in query:
        return 200, b"ok", _TEXT, headers
    text = "".join(line + "\n" for line in lines) + f"{root} check passed\n"
    return 200, text.encode(), _TEXT, headers
