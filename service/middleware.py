"""ASGI middleware for the public service: request-size limit and API-key check.

Both answer with a JSON body that says what is wrong, like every other 4xx of the API.
"""

from __future__ import annotations

import hmac
import json
import os


async def _send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse request bodies over `limit` bytes with 413, before anything parses them."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(send, int(declared))
        if declared is not None:
            return await self.app(scope, receive, send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
            if size > self.limit:
                return await self._refuse(send, size)

        async def replay():
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        return await self.app(scope, replay, send)

    async def _refuse(self, send, size: int) -> None:
        await _send_json(send, 413, {"error": f"request body is {size} bytes, over the limit of {self.limit} bytes",
                                     "field": "body", "limit": self.limit})


class ApiKeyMiddleware:
    """When $STANCE_API_KEY is set, `protected` paths need `Authorization: Bearer <key>`."""

    def __init__(self, app, protected: tuple[str, ...]):
        self.app = app
        self.protected = protected
        self.key = os.environ.get("STANCE_API_KEY") or None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.key and scope["path"].rstrip("/") in self.protected:
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), self.key):
                return await _send_json(send, 401, {"error": "missing or wrong API key: send the header "
                                                             "'Authorization: Bearer <key>'",
                                                    "field": "Authorization"},
                                        [(b"www-authenticate", b"Bearer")])
        return await self.app(scope, receive, send)
