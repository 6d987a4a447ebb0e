"""How steps turn a backend's exception into a MIMO error.

A step never lets a raw client exception escape: it classifies it with one
of the functions here and raises the result ``from`` the original::

    try:
        co = helper.get_one("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
    except Exception as e:
        raise kube_error(e) from e

The rules (see ``tasks.md``):

* a :class:`~mimo.MIMOError` raised by an inner call passes through unchanged;
* Kubernetes: ``404 NotFound`` is terminal (an essential object is missing),
  everything else (429, 5xx, a conflict that outlived its retries, a dropped
  connection) is transient;
* Azure: every error is transient;
* the store: a cluster document that is gone is terminal, anything else is
  transient.

The text of the error is the service's own message (the Kubernetes ``Status``
message, e.g. ``clusteroperators.config.openshift.io "kube-apiserver" not found``),
never a multi-line dump of headers.
"""

from __future__ import annotations

import json
from typing import Any

from mimo.errors import MIMOError, TerminalError, TransientError

__all__ = ["describe", "kube_error", "azure_error", "store_error", "is_kube_not_found"]


def _status_message(body: Any) -> str | None:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict):
        msg = doc.get("message")
        if isinstance(msg, str) and msg:
            return msg
        err = doc.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
    return None


def describe(err: BaseException) -> str:
    """One line saying what went wrong: the service's message when it sent one."""
    if isinstance(err, MIMOError):
        return err.cause_text
    status = getattr(err, "status", None)
    body = getattr(err, "body", None)
    if isinstance(status, int) and (body is not None or getattr(err, "reason", None) is not None):
        msg = _status_message(body)
        if msg:
            return msg
        return f"{status} {getattr(err, 'reason', '') or ''}".strip()
    azure_message = getattr(err, "message", None)
    if isinstance(azure_message, str) and azure_message:
        return azure_message.splitlines()[0]
    text = str(err).strip()
    first = text.splitlines()[0] if text else ""
    return first or type(err).__name__


def is_kube_not_found(err: BaseException) -> bool:
    """True for a Kubernetes ``404`` (the object, or its namespace, does not exist)."""
    try:
        from mimo.kube import is_not_found
    except ImportError:  # pragma: no cover - mimo.kube always ships with the runtime
        return getattr(err, "status", None) == 404
    return bool(is_not_found(err))


def _wrap(kind: type[MIMOError], err: BaseException) -> MIMOError:
    wrapped = kind(describe(err))
    wrapped.__cause__ = err
    return wrapped


def kube_error(err: BaseException, *, not_found_is_terminal: bool = True) -> MIMOError:
    """Classify an exception raised while talking to the cluster's API server."""
    if isinstance(err, MIMOError):
        return err
    if not_found_is_terminal and is_kube_not_found(err):
        return _wrap(TerminalError, err)
    return _wrap(TransientError, err)


def azure_error(err: BaseException) -> MIMOError:
    """Classify an exception raised by an Azure SDK client: always transient."""
    if isinstance(err, MIMOError):
        return err
    return _wrap(TransientError, err)


def store_error(err: BaseException) -> MIMOError:
    """Classify an exception raised by the document store."""
    if isinstance(err, MIMOError):
        return err
    from mimo.store.base import StoreNotFound

    if isinstance(err, StoreNotFound):
        return _wrap(TerminalError, err)
    return _wrap(TransientError, err)
