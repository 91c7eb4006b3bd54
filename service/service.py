"""The stance HTTP service (BentoML 1.4).

One service, one process: validation, sentence splitting, auth, and the promoted model
version through the runtime's `StanceClassifier`, the same class `stance evaluate` and
`stance predict` use. It imports the runtime (`stance/`) only, never `training/`, and reads
its own section of the configuration (`service`) and the inference settings. On the ONNX
backends the process imports neither torch nor transformers. A second service behind an
inter-service HTTP hop (with BentoML's adaptive batching) cost more CPU on this 2-core
machine than batching saved; see docs/performance.md.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Annotated

import bentoml
from pydantic import AfterValidator, Field

from service.middleware import ApiKeyMiddleware, BodyLimitMiddleware
from service.schemas import AnalyzedSentence, AnalyzeResponse, ClassifyResponse, ModelDescription, SentenceScores
from stance.config import InferenceSettings, ServiceSettings
from stance.labels import LABELS

# Read when the module is imported: the limits shape the request schemas and the service's options.
SETTINGS = ServiceSettings()
INFERENCE = InferenceSettings()


def served_tag() -> str:
    """The model version to serve: $STANCE_MODEL, else the registry's promoted version.

    Inside a built Bento there is no promotion record, only the bundled version, which is
    then the one served.
    """
    from stance.registry import Registry

    tag = os.environ.get("STANCE_MODEL") or Registry().promoted()
    if tag:
        return tag
    bundled = bentoml.models.list("stance")
    if len(bundled) == 1:
        return str(bundled[0].tag)
    raise RuntimeError("no promoted stance model: run `make train` (or `stance train`) first")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty or blank")
    return text


Sentence = Annotated[str, Field(max_length=SETTINGS.max_sentence_chars), AfterValidator(_not_blank)]
Sentences = Annotated[list[Sentence], Field(min_length=1, max_length=SETTINGS.max_sentences_per_request)]
Text = Annotated[str, Field(max_length=SETTINGS.max_analyze_chars), AfterValidator(_not_blank)]


@bentoml.service(name="stance", workers=1, threads=SETTINGS.threads, traffic={"timeout": 120},
                 http={"host": SETTINGS.host, "port": SETTINGS.port})
class Stance:
    """Public API: /classify, /analyze, /model, with the promoted version in the same process.

    It starts with the version bundled at class scope and then follows the registry's
    promotions (`stance promote`, `stance rollback`, an accepted `stance retrain`) without
    a restart, unless $STANCE_MODEL pins a version. It runs the backend chosen when the
    version was created, unless $STANCE_BACKEND names another. The APIs are synchronous and
    run on `ServiceSettings.threads` threads sharing one model: concurrent requests overlap their
    HTTP handling with each other's forward passes.
    """

    bento_model = bentoml.models.BentoModel(served_tag())

    def __init__(self) -> None:
        from service.following import VersionFollower, load_version
        from stance.registry import Registry

        backend = os.environ.get("STANCE_BACKEND") or None  # None: the version's chosen backend
        registry = Registry()
        pinned = bool(os.environ.get("STANCE_MODEL"))
        self.version = VersionFollower(
            load_version(self.bento_model, batch_size=INFERENCE.batch_size, backend=backend),
            promoted=(lambda: None) if pinned else registry.promoted,
            load=lambda tag: load_version(registry.stored(tag), batch_size=INFERENCE.batch_size, backend=backend),
            poll_seconds=SETTINGS.reload_poll_seconds)
        self.version.start()

    @bentoml.api(route="/classify")
    def classify(self, sentences: Sentences) -> ClassifyResponse:
        """Label each sentence as it is given (no splitting)."""
        classifier = self.version.current.classifier  # one version for the whole request
        predictions = classifier.predict(sentences)
        return ClassifyResponse(
            model_version=classifier.version,
            results=[SentenceScores(text=text, label=p.label, scores=p.scores)
                     for text, p in zip(sentences, predictions)],
        )

    @bentoml.api(route="/analyze")
    def analyze(self, text: Text) -> AnalyzeResponse:
        """Split a text into sentences (exact offsets) and label each."""
        from stance.segment import split_sentences

        classifier = self.version.current.classifier
        spans = split_sentences(text)  # never empty: the text is not blank
        predictions = classifier.predict([span.text for span in spans])
        counts = Counter(p.label for p in predictions)
        return AnalyzeResponse(
            model_version=classifier.version,
            sentences=[AnalyzedSentence(text=span.text, start=span.start, end=span.end, label=p.label,
                                        scores=p.scores) for span, p in zip(spans, predictions)],
            counts={label: counts.get(label, 0) for label in LABELS},
        )

    @bentoml.api(route="/model")
    def model_info(self) -> ModelDescription:
        """The served version, its backend, labels, creation time, training data and stored metrics."""
        current = self.version.current
        return ModelDescription(
            model_version=current.classifier.version,
            labels=list(current.classifier.labels),
            created=current.created,
            train_rows=current.metadata.get("train_rows"),
            train_sha256=current.metadata.get("train_sha256"),
            metrics=current.metadata.get("test_metrics", {}),
            real_test_metrics=current.metadata.get("real_test_metrics"),
            backend=current.classifier.backend,
            backend_check=current.backend_check,
        )


Stance.add_asgi_middleware(BodyLimitMiddleware, limit=SETTINGS.max_body_bytes)
Stance.add_asgi_middleware(ApiKeyMiddleware, protected=("/classify", "/analyze", "/model"))
