"""``Idempotency-Key`` on creating POSTs, persisted for 24 hours: an emulation for comparison only, on
with ``sandbox_honour_idempotency_keys`` (ours: neither provider publishes the header, so by default the
sandbox ignores it like they do).

The key is scoped by credential, targeted sub-account and route. The same key with the same JSON body
replays the first answer (status and body, byte for byte); with another body it answers 409 ``conflict``,
while the first request is still running 409 ``request_in_progress`` (try again). Answers of 5xx are not
kept, so the retry runs again; a request whose caller hung up before its body was read claims nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.db import IdempotentAnswer, aware, utcnow
from sandbox.errors import ApiError, conflict, error_response
from sandbox.paths import is_provider_path

RETENTION = timedelta(hours=24)


def _digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def body_fingerprint(body: bytes) -> str:
    """A hash of the body that ignores JSON formatting and key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return _digest(canonical)


def forget_unfinished(engine: Engine) -> None:
    """Drop keys whose first request never finished (the sandbox stopped meanwhile) and expired ones."""
    with Session(engine) as session:
        session.execute(delete(IdempotentAnswer).where(col(IdempotentAnswer.status_code).is_(None)))
        session.execute(
            delete(IdempotentAnswer).where(col(IdempotentAnswer.created_at) < utcnow() - RETENTION)
        )
        session.commit()


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away before it was read."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


@dataclass
class _Captured:
    """The answer as it streams out (500 until the route starts answering)."""

    status: int = 500
    content_type: str | None = None
    chunks: list[bytes] = field(default_factory=list)

    def record(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.content_type = Headers(raw=message.get("headers", [])).get("content-type")
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))


class IdempotencyMiddleware:
    """ASGI middleware honouring ``Idempotency-Key`` on provider POSTs."""

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not is_provider_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        if not key:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # nobody to answer: claiming the key with a partial body would poison it
            return
        scope_hash = _digest(
            headers.get("x-auth-id", ""), headers.get("x-sub-account-id", ""), scope["path"], key
        )
        early = self._claim(scope_hash, body_fingerprint(body))
        if early is not None:
            await early(scope, receive, send)
            return

        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        answer = _Captured()

        async def capture(message: Message) -> None:
            answer.record(message)
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            self._settle(scope_hash, answer)

    def _claim(self, scope_hash: str, body_hash: str) -> Response | None:
        """Reserve the key for this request, or the answer to give instead of running it."""
        with Session(self.engine) as session:
            row = session.get(IdempotentAnswer, scope_hash)
            if row is not None and aware(row.created_at) < utcnow() - RETENTION:
                session.delete(row)
                session.flush()
                row = None
            if row is None:
                session.add(IdempotentAnswer(scope_hash=scope_hash, body_hash=body_hash))
                session.commit()
                return None
            if row.body_hash != body_hash:
                error = conflict("Idempotency-Key was already used with another body")
            elif row.status_code is None:
                error = ApiError(
                    409, "request_in_progress", "a request with this Idempotency-Key is still running"
                )
            else:
                return Response(row.body, status_code=row.status_code, media_type=row.content_type)
            return error_response(error.status_code, error.detail)

    def _settle(self, scope_hash: str, answer: _Captured) -> None:
        """Keep the answer, or free the key when the request failed on our side."""
        with Session(self.engine) as session:
            row = session.get(IdempotentAnswer, scope_hash)
            if row is None:
                return
            if answer.status >= 500:
                session.delete(row)
            else:
                row.status_code = answer.status
                row.content_type = answer.content_type
                row.body = b"".join(answer.chunks)
                session.add(row)
            session.commit()
