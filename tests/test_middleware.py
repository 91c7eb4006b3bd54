"""The service's ASGI middleware on its own: the body limit and the API key, with a stand-in app."""

from __future__ import annotations

import asyncio
import json

import pytest

from service.middleware import ApiKeyMiddleware, BodyLimitMiddleware


class Recorder:
    """An ASGI app that reads the whole body and answers 200, remembering what it read."""

    def __init__(self):
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(app, path="/classify", headers=(), chunks=(b"",)):
    """Send one HTTP request through `app`; the status, headers and JSON body of its answer."""
    scope = {"type": "http", "path": path, "method": "POST", "headers": list(headers)}
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
                for i, chunk in enumerate(chunks)]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    answer = json.loads(body) if dict(start["headers"]).get(b"content-type") == b"application/json" else body
    return start["status"], dict(start["headers"]), answer


def test_a_declared_body_over_the_limit_is_refused_before_the_app_reads_it():
    inner = Recorder()
    status, _, answer = call(BodyLimitMiddleware(inner, limit=10), headers=[(b"content-length", b"11")],
                             chunks=[b"x" * 11])
    assert status == 413 and inner.bodies == []
    assert answer == {"error": "request body is 11 bytes, over the limit of 10 bytes", "field": "body", "limit": 10}


def test_a_body_within_the_limit_reaches_the_app_unchanged():
    inner = Recorder()
    assert call(BodyLimitMiddleware(inner, limit=10), headers=[(b"content-length", b"5")], chunks=[b"hello"])[0] == 200
    assert call(BodyLimitMiddleware(inner, limit=10), chunks=[b"hel", b"lo"])[0] == 200
    assert inner.bodies == [b"hello", b"hello"]


def test_a_chunked_body_is_counted_as_it_arrives():
    inner = Recorder()
    status, _, answer = call(BodyLimitMiddleware(inner, limit=10), chunks=[b"x" * 6, b"x" * 6, b"x" * 6])
    assert status == 413 and answer["limit"] == 10 and inner.bodies == []


@pytest.fixture()
def keyed(monkeypatch):
    monkeypatch.setenv("STANCE_API_KEY", "s3cret")
    inner = Recorder()
    return inner, ApiKeyMiddleware(inner, protected=("/classify", "/model"))


@pytest.mark.parametrize("header", [None, b"Bearer nope", b"Basic s3cret", b"s3cret"])
def test_a_missing_or_wrong_key_is_a_401_naming_the_header(keyed, header):
    inner, app = keyed
    status, headers, answer = call(app, headers=[(b"authorization", header)] if header else [])
    assert status == 401 and headers[b"www-authenticate"] == b"Bearer"
    assert answer["field"] == "Authorization" and "Bearer <key>" in answer["error"]
    assert inner.bodies == []


def test_the_right_key_passes_and_unprotected_paths_need_none(keyed):
    inner, app = keyed
    assert call(app, headers=[(b"authorization", b"Bearer s3cret")])[0] == 200
    assert call(app, path="/model/", headers=[(b"authorization", b"bearer  s3cret")])[0] == 200
    assert call(app, path="/readyz")[0] == 200
    assert len(inner.bodies) == 3


def test_without_a_configured_key_everything_passes(monkeypatch):
    monkeypatch.delenv("STANCE_API_KEY", raising=False)
    assert call(ApiKeyMiddleware(Recorder(), protected=("/classify",)))[0] == 200
