"""The transfer set (training.transfer): drawn outside the real test documents and the labelled
texts, and pruned of sentences labelled after it was drawn."""

from __future__ import annotations

import csv
from pathlib import Path

from stance.data import PROVENANCE_COLUMNS
from training.distill import open_csv, write_gzip_csv
from training.realtext import RealSentence
from training.transfer import draw, prune


def sentence(n: int, document: str) -> RealSentence:
    return RealSentence(text=f"Sentence number {n} of the briefing.", repository="r/r", commit="0" * 40,
                        file=document, document=f"r/r:{document}", locator=f"p1s{n}", whole=True)


def write_labelled(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, ["text", "label", "document"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_draw_leaves_out_test_documents_and_labelled_texts_without_repeats():
    found = [sentence(n, f"{n % 3}.md") for n in range(30)] + [sentence(1, "1.md")]
    picked = draw(found, 100, seed=1, excluded_documents={"r/r:0.md"},
                  excluded_texts={"sentence number 2 of the briefing."})
    assert {x.document for x in picked} == {"r/r:1.md", "r/r:2.md"}
    assert len(picked) == 19 and len({x.text for x in picked}) == 19


def test_prune_drops_sentences_labelled_since_and_test_documents_and_keeps_the_rest_in_order(tmp_path):
    transfer = tmp_path / "transfer.csv.gz"
    rows = [{"text": x.text, **{c: getattr(x, c) for c in PROVENANCE_COLUMNS}}
            for x in (sentence(n, f"{n % 4}.md") for n in range(12))]
    write_gzip_csv(transfer, rows, ["text", *PROVENANCE_COLUMNS])
    train = write_labelled(tmp_path / "real_train.csv", [{"text": "Sentence  number 5 of the briefing.",
                                                          "label": "assertion", "document": "r/r:1.md"}])
    test = write_labelled(tmp_path / "real_test.csv", [{"text": "Another sentence.", "label": "assertion",
                                                        "document": "r/r:3.md"}])
    assert prune(transfer, [train, test]) == 1 + 3
    with open_csv(transfer) as stream:
        kept = [row["text"] for row in csv.DictReader(stream)]
    assert kept == [row["text"] for n, row in enumerate(rows) if n != 5 and n % 4 != 3]
    assert prune(transfer, [train, test]) == 0
