"""The stance HTTP service (BentoML 1.4).

Two services: `Stance` is the public API (validation, sentence splitting, auth) and imports
no deep-learning code; `StanceModel` holds the promoted model version and answers one
batchable `predict`, so that concurrent callers share forward passes through BentoML's
adaptive batching. Both use the training package's `StanceClassifier`, the same class
`stance evaluate` and `stance predict` use.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Annotated

import bentoml
from pydantic import AfterValidator, Field

from service.middleware import ApiKeyMiddleware, BodyLimitMiddleware
from service.schemas import AnalyzedSentence, AnalyzeResponse, ClassifyResponse, ModelDescription, SentenceScores
from training.config import StanceConfig
from training.labels import LABELS

CONFIG = StanceConfig()
PREDICT_ATTEMPTS = 3


def served_tag() -> str:
    """The model version to serve: $STANCE_MODEL, else the registry's promoted version.

    Inside a built Bento there is no promotion record, only the bundled version, which is
    then the one served.
    """
    from training.registry import Registry

    tag = os.environ.get("STANCE_MODEL") or Registry().promoted()
    if tag:
        return tag
    bundled = bentoml.models.list("stance")
    if len(bundled) == 1:
        return str(bundled[0].tag)
    raise RuntimeError("no promoted stance model: run `make train` (or `stance train`) first")


def _keep_one_session(proxy: object) -> None:
    """Stop BentoML's inter-service client from replacing its HTTP session under load.

    BentoML 1.4.30+ closes the client's aiohttp session every 100 requests or 300 s
    (`SessionManager.max_requests`/`max_age`) even while other requests are in flight on it.
    Those fail with a disconnect, and a request still waiting for a connection hangs until
    the traffic timeout (seen here as a 504 after 120 s in the promotion-under-load test).
    One long-lived session avoids both. The attributes are private, so a BentoML without
    them is left as it is.
    """
    manager = getattr(getattr(proxy, "_async", None), "_session_manager", None)
    if manager is not None and hasattr(manager, "max_requests"):
        manager.max_requests = float("inf")
        manager.max_age = float("inf")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty or blank")
    return text


Sentence = Annotated[str, Field(max_length=CONFIG.max_text_chars), AfterValidator(_not_blank)]
Sentences = Annotated[list[Sentence], Field(min_length=1, max_length=CONFIG.max_sentences_per_request)]
Text = Annotated[str, Field(max_length=CONFIG.max_analyze_chars), AfterValidator(_not_blank)]


@bentoml.service(name="stance-model", workers=1, traffic={"timeout": 120})
class StanceModel:
    """The promoted model version, behind one batchable prediction API.

    It starts with the version bundled at class scope and then follows the registry's
    promotions (`stance promote`, `stance rollback`, an accepted `stance retrain`) without
    a restart, unless $STANCE_MODEL pins a version.
    """

    bento_model = bentoml.models.BentoModel(served_tag())

    def __init__(self) -> None:
        from service.following import VersionFollower, load_version
        from training.registry import Registry

        registry = Registry()
        pinned = bool(os.environ.get("STANCE_MODEL"))
        self.version = VersionFollower(
            load_version(self.bento_model, batch_size=CONFIG.max_batch_size),
            promoted=(lambda: None) if pinned else registry.promoted,
            load=lambda tag: load_version(registry.stored(tag), batch_size=CONFIG.max_batch_size),
            poll_seconds=CONFIG.reload_poll_seconds)
        self.version.start()

    @bentoml.api(batchable=True, max_batch_size=CONFIG.max_batch_size,
                 max_latency_ms=CONFIG.max_batch_latency_ms)
    def predict(self, sentences: list[str]) -> list[dict]:
        """Label and per-label probabilities of each sentence, tagged with the model version."""
        classifier = self.version.current.classifier  # one version for the whole batch
        return [{"label": p.label, "scores": p.scores, "model_version": classifier.version}
                for p in classifier.predict(sentences)]

    @bentoml.api
    def describe(self) -> dict:
        """The served version, its labels, creation time, training data and stored metrics."""
        current = self.version.current
        return ModelDescription(
            model_version=current.classifier.version,
            labels=list(current.classifier.labels),
            created=current.created,
            train_rows=current.metadata.get("train_rows"),
            train_sha256=current.metadata.get("train_sha256"),
            metrics=current.metadata.get("test_metrics", {}),
        ).model_dump()


@bentoml.service(name="stance", workers=1, traffic={"timeout": 120},
                 http={"host": CONFIG.host, "port": CONFIG.port})
class Stance:
    """Public API: /classify, /analyze, /model."""

    model = bentoml.depends(StanceModel)

    def __init__(self) -> None:
        _keep_one_session(self.model)

    async def _predict(self, sentences: list[str]) -> list[dict]:
        """Call the model service, retrying a connection it dropped.

        The model server drops a connection without answering when BentoML's batching
        dispatcher cancels a queued request (see `max_batch_latency_ms`) or a keep-alive
        connection is closed under the client (bentoml/BentoML#3669, #4971); the caller then
        sees ServerDisconnectedError or ClientConnectionResetError. `predict` is pure, so
        sending it again is safe.
        """
        import aiohttp

        for attempt in range(PREDICT_ATTEMPTS):
            try:
                return await self.model.to_async.predict(sentences)
            except aiohttp.ClientConnectionError:
                if attempt == PREDICT_ATTEMPTS - 1:
                    raise

    @bentoml.api(route="/classify")
    async def classify(self, sentences: Sentences) -> ClassifyResponse:
        """Label each sentence as it is given (no splitting)."""
        predictions = await self._predict(sentences)
        return ClassifyResponse(
            model_version=predictions[0]["model_version"],
            results=[SentenceScores(text=text, label=p["label"], scores=p["scores"])
                     for text, p in zip(sentences, predictions)],
        )

    @bentoml.api(route="/analyze")
    async def analyze(self, text: Text) -> AnalyzeResponse:
        """Split a text into sentences (exact offsets) and label each."""
        from training.segment import split_sentences

        spans = split_sentences(text)  # never empty: the text is not blank
        predictions = await self._predict([span.text for span in spans])
        counts = Counter(p["label"] for p in predictions)
        return AnalyzeResponse(
            model_version=predictions[0]["model_version"],
            sentences=[AnalyzedSentence(text=span.text, start=span.start, end=span.end, label=p["label"],
                                        scores=p["scores"]) for span, p in zip(spans, predictions)],
            counts={label: counts.get(label, 0) for label in LABELS},
        )

    @bentoml.api(route="/model")
    async def model_info(self) -> ModelDescription:
        """The served model version and the metrics stored with it."""
        return ModelDescription(**await self.model.to_async.describe())


Stance.add_asgi_middleware(BodyLimitMiddleware, limit=CONFIG.max_body_bytes)
Stance.add_asgi_middleware(ApiKeyMiddleware, protected=("/classify", "/analyze", "/model"))
