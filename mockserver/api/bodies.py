"""The one request-body reader, at ASGI level: the exchange routes, the admin routes and the durable log use it.

A body is read whole before anything is decided on it, bounded by a limit: a declared
``content-length`` over the limit is refused unread, and a streamed body is refused as soon
as it passes the limit. A client that leaves mid-body gets nothing processed.
"""

from __future__ import annotations

from starlette.types import Message, Receive

__all__ = ["DISCONNECTED", "TOO_LARGE", "Disconnected", "TooLarge", "declared_over", "read_body", "receive_body"]


class TooLarge:
    """The body passed the limit (declared or streamed); the rest of it was not read."""


class Disconnected:
    """The client went away before its body was complete."""


TOO_LARGE = TooLarge()
DISCONNECTED = Disconnected()


def declared_over(declared: str | None, limit: int) -> bool:
    """Whether a ``content-length`` text declares over ``limit`` bytes (length first: no int() of a huge text)."""
    return (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 18 or int(declared) > limit)
    )


async def read_body(receive: Receive, limit: int) -> bytes | TooLarge | Disconnected:
    """The whole body, :data:`TOO_LARGE` once it passes ``limit`` bytes, or :data:`DISCONNECTED`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return DISCONNECTED  # a truncated body is never processed
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return TOO_LARGE
        if not message.get("more_body", False):
            if not chunks:
                return chunk  # the usual request: the whole body in one message
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def receive_body(body: bytes) -> Receive:
    """An ASGI receive that hands over ``body``, already read, in one message (a request run again)."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
