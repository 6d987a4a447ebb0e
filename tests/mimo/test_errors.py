import pytest

from mimo import MIMOError, TerminalError, TransientError, is_retryable


def test_string_form_from_message():
    assert str(TransientError("api server down")) == "TransientError: api server down"
    assert str(TerminalError("object missing")) == "TerminalError: object missing"


def test_cause_kept_on_both_attributes():
    cause = KeyError("x")
    err = TransientError(cause)
    assert err.cause is cause
    assert err.__cause__ is cause
    assert str(err) == f"TransientError: {cause}"
    assert isinstance(err, MIMOError)


def test_message_cause_has_no_dunder_cause():
    err = TerminalError("plain")
    assert err.cause == "plain"
    assert err.__cause__ is None


def test_retryable_only_for_transient():
    assert is_retryable(TransientError("x"))
    assert not is_retryable(TerminalError("x"))
    assert not is_retryable(RuntimeError("x"))
    assert not is_retryable(None)


def test_transient_found_on_cause_chain():
    try:
        try:
            raise TransientError("throttled")
        except TransientError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_retryable(outer)


def test_terminal_wrapping_transient_is_not_retryable():
    err = TerminalError(TransientError("x"))
    assert not is_retryable(err)


def test_cycle_on_cause_chain_terminates():
    a = RuntimeError("a")
    b = RuntimeError("b")
    a.__cause__ = b
    b.__cause__ = a
    assert not is_retryable(a)


def test_raise_shows_cause():
    with pytest.raises(TransientError) as info:
        raise TransientError(ValueError("boom"))
    assert isinstance(info.value.__cause__, ValueError)
