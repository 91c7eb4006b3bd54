"""Request and response bodies of the HTTP API, validated by pydantic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SentenceScores(BaseModel):
    """One classified sentence."""

    text: str
    label: str = Field(description="assertion, denial or euphemism")
    scores: dict[str, float] = Field(description="probability of each label")


class ClassifyResponse(BaseModel):
    model_version: str
    results: list[SentenceScores]


class AnalyzedSentence(SentenceScores):
    """A sentence of an analysed text; text == input[start:end]."""

    start: int
    end: int


class AnalyzeResponse(BaseModel):
    model_version: str
    sentences: list[AnalyzedSentence]
    counts: dict[str, int]


class ModelDescription(BaseModel):
    """The served version and what is known about it."""

    model_config = ConfigDict(protected_namespaces=())

    model_version: str
    labels: list[str]
    created: str
    train_rows: int | None
    train_sha256: str | None
    metrics: dict = Field(description="metrics on the written frozen test set, measured when the version was made")
    real_test_metrics: dict | None = Field(None, description="metrics on the real frozen test set (officials' "
                                                             "statements), when the version was scored on it")
    backend: str = Field(description="the forward-pass backend serving this version")
    backend_check: dict | None = Field(None, description="every backend's agreement, macro-F1 and speed "
                                                         "on the test set, measured when the version was created")
