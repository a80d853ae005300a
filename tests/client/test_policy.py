"""Policy pieces on their own: redaction, Retry-After parsing, backoff bounds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from domogov.client.policy import (
    RedactingFilter,
    RetryPolicy,
    is_rate_limit_message,
    parse_retry_after,
    redact,
)


def test_redact_replaces_raw_and_url_encoded_secrets() -> None:
    secret = "ab/c+d=="
    text = f"token {secret} in url ?t=ab%2Fc%2Bd%3D%3D"
    assert redact(text, [secret]) == "token *** in url ?t=***"


def test_redact_prefers_the_longest_secret_and_ignores_empty_ones() -> None:
    assert redact("xx-long-secret-xx", ["long", "long-secret", ""]) == "xx-***-xx"


@pytest.mark.parametrize(
    ("header", "expected"), [("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None), (None, None)]
)
def test_retry_after_in_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_as_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=20), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(20.0)
    past = format_datetime(now - timedelta(seconds=20), usegmt=True)
    assert parse_retry_after(past, now=now.timestamp()) == 0.0


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("API Rate limit reached.", True),
        (" api rate limit reached ", True),
        ("Forbidden", False),
        ("", False),
        (None, False),
    ],
)
def test_rate_limit_form_is_recognised_exactly(message: str | None, expected: bool) -> None:
    assert is_rate_limit_message(message) is expected


def test_filter_scrubs_message_args_and_traceback() -> None:
    filt = RedactingFilter()
    filt.add_secret("s3cr3t-token")
    try:
        raise RuntimeError("boom s3cr3t-token")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "domogov.x", logging.INFO, __file__, 1, "header %s", ("s3cr3t-token",), sys.exc_info()
        )
    assert filt.filter(record)
    assert record.getMessage() == "header ***"
    assert record.exc_text and "s3cr3t-token" not in record.exc_text and "***" in record.exc_text


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=1.0, backoff_max=5.0)

    class State:
        outcome = None

        def __init__(self, n: int) -> None:
            self.attempt_number = n

    waits = [policy.wait(State(n)) for n in range(1, 9)]  # type: ignore[arg-type]
    assert 1.0 <= waits[0] <= 2.0
    assert 2.0 <= waits[1] <= 3.0
    assert all(w <= 5.0 for w in waits)
    assert waits[-1] == 5.0


def test_install_redaction_covers_child_loggers_through_the_handlers() -> None:
    import io

    from domogov.client.policy import REDACTION, install_redaction

    REDACTION.add_secret("child-logger-secret-91")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    parent = logging.getLogger("domogov.test_parent")
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    try:
        install_redaction("domogov.test_parent")
        logging.getLogger("domogov.test_parent.child").info("got %s", "child-logger-secret-91")
    finally:
        parent.removeHandler(handler)
    assert stream.getvalue() == "got ***\n"
