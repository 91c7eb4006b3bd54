"""The plain fp32 service `make bench` measures the served fast backend against.

What one would write first with BentoML: one batchable endpoint with adaptive batching, PyTorch
fp32 eager on the promoted version, and nothing else (no validation limits, no auth, no promotion
following). It answers the same `/classify` body as the stance service.
"""

from __future__ import annotations

import bentoml

MAX_BATCH_SIZE = 64
# A low ceiling makes BentoML's dispatcher drop the first burst of concurrent callers before it has
# measured the model; the batching wait itself adapts to the traffic and stays far below it.
MAX_LATENCY_MS = 120_000


@bentoml.service(name="plain-fp32", workers=1, traffic={"timeout": 120})
class PlainFp32:
    def __init__(self) -> None:
        from stance.inference import StanceClassifier

        self.classifier = StanceClassifier.load(backend="torch-fp32", batch_size=MAX_BATCH_SIZE)

    @bentoml.api(route="/classify", batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS)
    def classify(self, sentences: list[str]) -> list[dict]:
        return [{"label": p.label, "scores": p.scores} for p in self.classifier.predict(sentences)]

    @bentoml.api(route="/model")
    def model(self) -> dict:
        return {"model_version": self.classifier.version, "backend": "torch-fp32, plain batchable endpoint"}
