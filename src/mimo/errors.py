"""The two ways a step fails, and how the actuator tells them apart.

A step raises :class:`TransientError` when the failure may heal by itself
(timeouts, 429, 5xx, conflicts, a component still progressing): the task is
retried. It raises :class:`TerminalError` when a human is needed: the task
fails for good. Any other exception escaping a task is not retryable.
"""

from __future__ import annotations

__all__ = ["MIMOError", "TransientError", "TerminalError", "LeaseLost", "is_retryable"]


class MIMOError(Exception):
    """Base of the two MIMO errors; ``cause`` is an exception or a message."""

    kind = "MIMOError"

    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(cause)
        self.cause: BaseException | str = cause
        if isinstance(cause, BaseException):
            self.__cause__ = cause

    @property
    def cause_text(self) -> str:
        return str(self.cause)

    def __str__(self) -> str:
        return f"{self.kind}: {self.cause_text}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.cause!r})"


class TransientError(MIMOError):
    """A failure that may heal by itself: the task will be retried."""

    kind = "TransientError"


class TerminalError(MIMOError):
    """A failure that needs a human: the task fails and is not retried."""

    kind = "TerminalError"


def is_retryable(err: BaseException | None) -> bool:
    """True only for a :class:`TransientError`, also one found on the ``__cause__`` chain.

    A :class:`TerminalError` met first on the chain wins: it is not retryable.
    """
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, TransientError):
            return True
        if isinstance(cur, TerminalError):
            return False
        cur = cur.__cause__
    return False


class LeaseLost(Exception):
    """This host no longer holds the lease of the manifest it runs: it expired and another host
    took the manifest over, or it could not be confirmed before it ran out.

    Raised at a step boundary (:func:`mimo.runner.run_steps`, ``TaskContext.sleep``); the
    actuator then ends the attempt *without* writing a final state: the outcome belongs to
    whoever holds the lease now. Neither a :class:`TransientError` nor a :class:`TerminalError`.
    """
