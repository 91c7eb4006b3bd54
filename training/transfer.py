"""The transfer set: unlabelled real sentences the teacher labels with probabilities for the student.

Sentences of officials, drawn at random from documents read whole, from the same public-domain
sources as the labelled real sentences (`training.realtext`). A document of the real test set is
never read, and a sentence already labelled is never drawn, so the transfer set carries nothing of
the test set and repeats no labelled row. Run as
`python -m training.transfer draw --wh GIT_DIR --obama GIT_DIR --centcom GIT_DIR --poldis GIT_DIR
--out data/transfer.csv.gz`; after a labelling round, `python -m training.transfer prune` drops the
sentences labelled since (then `stance teacher label` relabels only what changed).
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from stance.data import PROVENANCE_COLUMNS, normalise_text
from training.distill import read_rows, write_gzip_csv
from training.realtext import (RealSentence, centcom_releases, obama_briefings, poldis_conferences, sentences,
                               wh_briefings)

# (repository, reader, share of the transfer set, share of its documents read whole)
PLAN = (("brian14708/wh-briefings", wh_briefings, 0.5, 0.1),
        ("RIstiaque/Country-Counting-from-Press-Briefings", obama_briefings, 0.3, 0.3),
        ("henriquesposito/poldis", poldis_conferences, 0.15, 0.6),
        ("kevinschaul/uscentcom-isil-airstrikes-scraper", centcom_releases, 0.05, 0.5))


def draw(found: list[RealSentence], size: int, seed: int, excluded_documents: set[str],
         excluded_texts: set[str]) -> list[RealSentence]:
    """`size` distinct sentences at random from `found`, none from an excluded document or text."""
    pool = [x for x in found if x.document not in excluded_documents and normalise_text(x.text) not in excluded_texts]
    random.Random(seed).shuffle(pool)
    chosen: dict[str, RealSentence] = {}
    for sentence in pool:
        if len(chosen) >= size:
            break
        chosen.setdefault(normalise_text(sentence.text), sentence)
    return list(chosen.values())


def labelled(paths: list[Path]) -> tuple[set[str], set[str]]:
    """The documents of the real test file(s) and the texts of every labelled file given."""
    documents, texts = set(), set()
    for path in paths:
        for row in csv.DictReader(path.open(encoding="utf-8")):
            texts.add(normalise_text(row["text"]))
            if "test" in path.stem and row.get("document"):
                documents.add(row["document"])
    return documents, texts


def prune(path: Path, labelled_paths: list[Path]) -> int:
    """Drop from the transfer file the sentences the labelled files now hold (or, for a test file,
    its documents): labelled since the set was drawn. Returns how many were dropped."""
    excluded_documents, excluded_texts = labelled(labelled_paths)
    rows = read_rows(path)
    kept = [row for row in rows
            if row["document"] not in excluded_documents and normalise_text(row["text"]) not in excluded_texts]
    if len(kept) < len(rows):
        write_gzip_csv(path, kept, ["text", *PROVENANCE_COLUMNS])
    return len(rows) - len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draw_command = commands.add_parser("draw", help="draw the transfer set from the sources")
    prune_command = commands.add_parser("prune", help="drop sentences labelled since the set was drawn")
    for name in ("wh", "obama", "centcom", "poldis"):
        draw_command.add_argument(f"--{name}", type=Path, required=True, help=f"git dir of the {name} source")
    draw_command.add_argument("--size", type=int, default=40_000)
    draw_command.add_argument("--seed", type=int, default=29)
    for command in (draw_command, prune_command):
        command.add_argument("--labelled", type=Path, nargs="*", help="labelled files whose texts (and, for test "
                             "files, documents) are left out", default=[Path(f"data/{name}.csv") for name in
                                                                    ("train", "test", "real_train", "real_test")])
        command.add_argument("--out", type=Path, default=Path("data/transfer.csv.gz"))
    args = parser.parse_args()
    if args.command == "prune":
        print(f"{args.out}: {prune(args.out, args.labelled)} sentences labelled since dropped")
        return
    dirs = dict(zip((repository for repository, *_ in PLAN), (args.wh, args.obama, args.poldis, args.centcom)))
    excluded_documents, excluded_texts = labelled(args.labelled)
    rows = []
    for repository, reader, share, whole_share in PLAN:
        found = list(sentences(repository, dirs[repository], reader(dirs[repository]), whole_share, args.seed, ()))
        picked = draw(found, round(args.size * share), args.seed, excluded_documents, excluded_texts)
        excluded_texts |= {normalise_text(x.text) for x in picked}
        print(f"{repository}: {len(found)} sentences read, {len(picked)} drawn", flush=True)
        rows += [{"text": x.text, **{c: getattr(x, c) for c in PROVENANCE_COLUMNS}} for x in picked]
    write_gzip_csv(args.out, rows, ["text", *PROVENANCE_COLUMNS])


if __name__ == "__main__":
    main()
