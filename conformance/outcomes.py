"""What a rule or a client call can end in besides success: the kit's outcome types.

Every other module of the kit may raise or catch these; this one imports none of them.
"""

from __future__ import annotations

import traceback

__all__ = ["ClientCrashed", "ClientError", "RuleFailed", "RuleSkipped", "traceback_excerpt"]


class RuleFailed(AssertionError):
    def __init__(
        self, message: str, *, example: str = "", diagnosis: str = "", curl: str = "", traceback: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        self.diagnosis = diagnosis
        self.curl = curl
        self.traceback = traceback


class RuleSkipped(Exception):
    """The client does not offer what the rule needs (e.g. no ``sign`` operation)."""


class ClientError(Exception):
    """The client surfaced an exchange error (or a transport failure, with code ``"transport"``)."""

    def __init__(self, code: str, msg: str = "", kind: str = "") -> None:
        super().__init__(f"[{code}] {msg}")
        self.code = code
        self.msg = msg
        self.kind = kind


class ClientCrashed(Exception):
    """The client (or its driver) failed in a way that is not a reported error.

    ``operation`` names the operation that crashed and ``excerpt`` holds the end of the
    client's traceback (or the driver's reported stack), so a report can show the real cause.
    """

    def __init__(self, message: str, *, operation: str = "", excerpt: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.excerpt = excerpt


def traceback_excerpt(exc: BaseException, lines: int = 12) -> str:
    """The last ``lines`` lines of ``exc``'s formatted traceback: where the client failed, and why."""
    text = "".join(traceback.format_exception(exc)).rstrip().splitlines()
    return "\n".join(text[-lines:])
