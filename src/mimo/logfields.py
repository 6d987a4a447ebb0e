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

__all__ = ["FieldsFormatter", "GO_FIELDS", "configure_logging", "resource_fields", "with_fields"]

#: the fields a text log line shows after the message, logrus style (``key=value``)
GO_FIELDS = ("manifestID", "taskID", "resource_id")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


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


class FieldsFormatter(logging.Formatter):
    """Appends :data:`GO_FIELDS` present on a record as ``key=value``: the message stays Go's text."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(f"{k}={getattr(record, k)}" for k in GO_FIELDS if getattr(record, k, ""))
        return f"{text} {fields}" if fields else text


def configure_logging(level: str) -> None:
    """``logging.basicConfig`` for the command line, with :class:`FieldsFormatter`."""
    handler = logging.StreamHandler()
    handler.setFormatter(FieldsFormatter(LOG_FORMAT))
    logging.basicConfig(level=getattr(logging, level.upper()), handlers=[handler])
