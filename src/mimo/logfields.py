"""Go's logrus fields on Python log records, so an operator's log queries carry over.

The Go MIMO enriches a cluster's log lines with ``utillog.EnrichWithResourceID``
(``pkg/util/log/log.go``): ``resource_id``, ``subscription_id``,
``resource_group`` and ``resource_name``, each lower-cased. :func:`with_fields`
puts such fields on every record of a logger as record attributes (what
``extra=`` does), keeping the fields a :class:`logging.LoggerAdapter` already
carries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["resource_fields", "with_fields"]


def resource_fields(resource_id: str) -> dict[str, str]:
    """``EnrichWithResourceID``'s fields of an ARM resource ID (``resource_id`` alone when it does not parse)."""
    rid = resource_id.lower()
    parts = rid.split("/")
    # /subscriptions/<sub>/resourcegroups/<rg>/providers/<ns>/<type>/<name>
    if len(parts) < 9 or parts[1] != "subscriptions" or parts[3] != "resourcegroups" or parts[5] != "providers":
        return {"resource_id": rid}
    return {"resource_id": rid, "subscription_id": parts[2], "resource_group": parts[4], "resource_name": parts[-1]}


def with_fields(log: logging.Logger | logging.LoggerAdapter[Any], fields: Mapping[str, Any]) -> logging.LoggerAdapter[logging.Logger]:
    """A logger adding ``fields`` to every record, on top of what ``log`` (an adapter) already adds."""
    if isinstance(log, logging.LoggerAdapter):
        base = dict(log.extra or {})
        inner = log.logger
        while isinstance(inner, logging.LoggerAdapter):
            base = {**dict(inner.extra or {}), **base}
            inner = inner.logger
        return logging.LoggerAdapter(inner, {**base, **fields})
    return logging.LoggerAdapter(log, dict(fields))
