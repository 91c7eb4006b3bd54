"""Sentence splitting with exact character offsets: text[start:end] is the sentence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Span:
    """One sentence of a text and where it lies in that text."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def split_sentences(text: str) -> list[Span]:
    """Split text into sentences (pysbd's rules), each trimmed of surrounding whitespace.

    pysbd's own character spans drift on repeated sentences, so each segment is located
    in the original text from where the previous one ended.
    """
    spans: list[Span] = []
    cursor = 0
    for paragraph_start, paragraph in _paragraphs(text):
        for segment in _segmenter().segment(paragraph):
            piece = segment.strip()
            if not piece:
                continue
            found = text.find(piece, max(cursor, paragraph_start))
            if found < 0:
                continue
            cursor = found + len(piece)
            spans.append(Span(text=piece, start=found, end=cursor))
    return spans


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their offsets: a headline never merges into the paragraph below it."""
    blocks = []
    start = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            blocks.append((start, line))
        start += len(line)
    return blocks
