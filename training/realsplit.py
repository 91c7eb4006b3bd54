"""From sampled real sentences to `data/real_train.csv` and `data/real_test.csv`.

1. `batches`: the candidates (from `training.realtext`) get ids, are shuffled and cut into batches
   of `id,text` for blind labelling passes.
2. `assemble`: the passes' label files are joined. Where the first two passes (`A_*.csv`,
   `B_*.csv`) agree, that is the label; where they differ, a third blind reading (`C_*.csv`)
   decides when it sides with one of them, and the sentence is dropped otherwise. Whole documents
   are drawn at random for the test set until it holds `test_size` sentences; test sentences that
   nearly copy a training sentence (written or real) and real training sentences that nearly copy a
   written test sentence are dropped. Agreement figures go to `real_stats.json`.

Run as `python -m training.realsplit batches CANDIDATES... --out DIR --batches N` and
`python -m training.realsplit assemble CANDIDATES... --labels DIR --out data/`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

from stance.config import DataSettings
from stance.data import PROVENANCE_COLUMNS, Example, load_examples, near_duplicates, normalise_text
from stance.files import atomic_write_text, csv_text
from stance.labels import LABELS

PASS_COLUMNS = ("pass_a", "pass_b", "pass_c")


def read_candidates(paths: list[Path]) -> dict[str, dict]:
    """The labelled candidates by id, from one or more id-bearing candidate files."""
    return {row["id"]: row for path in paths for row in csv.DictReader(path.open(encoding="utf-8"))}


def read_pass(folder: Path, prefix: str) -> dict[str, str]:
    """One pass's labels by id, from every `<prefix>_*.csv` file of `folder`."""
    labels = {}
    for path in sorted(folder.glob(f"{prefix}_*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            label = (row.get("label") or "").strip().lower()
            if label in LABELS:
                labels[row["id"].strip()] = label
    return labels


def agreement(first: dict[str, str], second: dict[str, str]) -> dict:
    """Per cent agreement and Cohen's kappa of two passes over the ids both labelled."""
    from sklearn.metrics import cohen_kappa_score

    ids = [i for i in first if i in second]
    a, b = [first[i] for i in ids], [second[i] for i in ids]
    differing = Counter(f"{x}/{y}" for x, y in zip(a, b) if x != y)
    return {"labelled_twice": len(ids), "agreed": sum(x == y for x, y in zip(a, b)),
            "agreement": round(sum(x == y for x, y in zip(a, b)) / max(1, len(ids)), 4),
            "cohen_kappa": round(float(cohen_kappa_score(a, b)), 4), "disagreements": differing.most_common()}


def settle(passes: tuple[dict[str, str], dict[str, str], dict[str, str]]) -> dict[str, str]:
    """The agreed label of each sentence labelled twice; a third reading settles a disagreement."""
    first, second, third = passes
    settled = {}
    for i in first:
        if i not in second:
            continue
        if first[i] == second[i]:
            settled[i] = first[i]
        elif third.get(i) in (first[i], second[i]):
            settled[i] = third[i]
    return settled


def split_by_document(ids: list[str], documents: dict[str, str], test_size: int, seed: int) -> set[str]:
    """Test ids: whole documents drawn at random until `test_size` sentences are reached."""
    by_document = defaultdict(list)
    for i in ids:
        by_document[documents[i]].append(i)
    order = sorted(by_document)
    random.Random(seed).shuffle(order)
    chosen: list[str] = []
    for document in order:
        if len(chosen) >= test_size:
            break
        chosen += by_document[document]
    return set(chosen)


def extend_split(ids: list[str], documents: dict[str, str], kept: dict[str, str], test_share: float,
                 seed: int) -> set[str]:
    """Test ids when an earlier split is kept: a document of the earlier test set stays in it and one
    of its training set stays there; documents seen for the first time are drawn at random into the
    test set until it holds `test_share` of their sentences. `kept` maps a document to its side."""
    new = [i for i in ids if documents[i] not in kept]
    test = {i for i in ids if kept.get(documents[i]) == "test"}
    return test | split_by_document(new, documents, round(test_share * len(new)), seed)


def kept_split(folder: Path) -> dict[str, str]:
    """Each document of the real data files in `folder`, and the side ('train', 'test') it is on."""
    return {row["document"]: side for side in ("train", "test")
            for row in csv.DictReader((folder / f"real_{side}.csv").open(encoding="utf-8"))}


def frozen_test_set(folder: Path) -> dict[str, str]:
    """The sentences (normalised text) of `folder`'s real_test.csv and the document of each."""
    return {normalise_text(row["text"]): row["document"]
            for row in csv.DictReader((folder / "real_test.csv").open(encoding="utf-8"))}


def beside_frozen_test(candidates: dict[str, dict], label: dict[str, str], documents: dict[str, str],
                       frozen: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The data files' ids when the test set is frozen: its sentences stay (labels by their latest
    reading), nothing joins it, and training takes the rest but for sentences of a test document
    and new sentences nearly copying a test sentence (the same statement published twice): those
    are dropped from training, never from the test set, so test figures stay comparable."""
    test = sorted(i for i in label if frozen.get(normalise_text(candidates[i]["text"])) == documents[i])
    tested, test_documents = set(test), set(frozen.values())
    train = [i for i in sorted(label) if i not in tested and documents[i] not in test_documents]
    copies = _copying(candidates, label, train, _examples(candidates, label, test))
    leaks = _copying(candidates, label, train, _written(DataSettings().test_path))
    kept = [i for i in train if i not in copies | leaks]
    return ({"real_train.csv": kept, "real_test.csv": test},
            {"real_train_vs_real_test": len(copies), "real_train_vs_written_test": len(leaks)})


def latest_readings(candidates: dict[str, dict]) -> dict[str, str]:
    """Each id and the id of its sentence's last reading: a sentence sampled again in a later round
    (to be labelled again under a changed rule) keeps the later labels. Later means read later;
    give it settled readings only, so that an unsettled later reading leaves the earlier one."""
    latest = {(row["document"], row["locator"]): i for i, row in candidates.items()}
    return {i: latest[(row["document"], row["locator"])] for i, row in candidates.items()}


def assemble(candidates: dict[str, dict], labels_dir: Path, out_dir: Path, test_size: int, seed: int,
             kept: dict[str, str] | None = None, test_share: float = 0.2,
             frozen_test: dict[str, str] | None = None) -> dict:
    """Write real_train.csv, real_test.csv and real_stats.json into `out_dir`; return the figures.

    With `kept` (see `kept_split`), the earlier split is kept and only new documents are drawn.
    With `frozen_test` (see `frozen_test_set`), the test set stays exactly as it was and every new
    sentence goes to training (see `beside_frozen_test`).
    """
    passes = tuple(read_pass(labels_dir, prefix) for prefix in ("A", "B", "C"))
    settled = settle(passes)
    latest = latest_readings({i: row for i, row in candidates.items() if i in settled})
    label = {i: value for i, value in settled.items() if latest[i] == i}
    stats = {**agreement(passes[0], passes[1]), "third_readings": sum(
        1 for i in passes[2] if i in passes[0] and i in passes[1] and passes[0][i] != passes[1][i])}
    stats["dropped_unsettled"] = stats["labelled_twice"] - len(settled)
    again = [(settled[i], settled[latest[i]]) for i in settled if latest[i] != i]
    stats["labelled_again"] = {"sentences": len(again), "changed": dict(Counter(
        f"{before}->{after}" for before, after in again if after != before))}
    documents = {i: candidates[i]["document"] for i in label}
    if frozen_test is not None:
        files, stats["dropped_near_duplicates"] = beside_frozen_test(candidates, label, documents, frozen_test)
    else:
        if kept is None:
            test = split_by_document(sorted(label), documents, test_size, seed)
        else:
            test = extend_split(sorted(label), documents, kept, test_share, seed)
        train = [i for i in sorted(label) if i not in test]
        copies, leaks = _near_copies(candidates, label, sorted(test), train)
        stats["dropped_near_duplicates"] = {"real_test_vs_training": len(copies),
                                            "real_train_vs_written_test": len(leaks)}
        files = {"real_train.csv": [i for i in train if i not in leaks], "real_test.csv": sorted(test - copies)}
    for name, ids in files.items():
        rows = [{"text": candidates[i]["text"], "label": label[i], **{c: candidates[i][c] for c in PROVENANCE_COLUMNS},
                 **{column: passes[n].get(i, "") for n, column in enumerate(PASS_COLUMNS)}}
                for i in sorted(ids, key=lambda i: (documents[i], candidates[i]["locator"]))]
        atomic_write_text(out_dir / name, csv_text(rows, ("text", "label", *PROVENANCE_COLUMNS, *PASS_COLUMNS)))
        stats[name] = {"rows": len(ids), "documents": len({documents[i] for i in ids}),
                       "labels": dict(Counter(label[i] for i in ids))}
    stats["labels"] = dict(Counter(label[i] for ids in files.values() for i in ids))
    atomic_write_text(out_dir / "real_stats.json", json.dumps(stats, indent=2))
    return stats


def _near_copies(candidates: dict[str, dict], label: dict[str, str], test: list[str],
                 train: list[str]) -> tuple[set[str], set[str]]:
    """Test ids that nearly copy a training sentence, and real training ids that nearly copy a written test one."""
    written_train = _written(DataSettings().train_path)
    copies = _copying(candidates, label, test, _examples(candidates, label, train) + written_train)
    leaks = _copying(candidates, label, train, _written(DataSettings().test_path))
    return copies, leaks


def _copying(candidates: dict[str, dict], label: dict[str, str], ids: list[str], others: list[Example]) -> set[str]:
    """The ids whose sentence reaches the train/test similarity limit with one of `others`."""
    limit = DataSettings().max_train_test_similarity
    return {ids[pair.test_row] for pair in near_duplicates(_examples(candidates, label, ids), others, limit)}


def _examples(candidates: dict[str, dict], label: dict[str, str], ids: list[str]) -> list[Example]:
    return [Example(candidates[i]["text"], label[i], row=n) for n, i in enumerate(ids)]


def _written(path: Path) -> list[Example]:
    return load_examples(path, max_chars=DataSettings().max_text_chars)


def batches(candidate_files: list[Path], out_dir: Path, count: int, prefix: str, seed: int) -> None:
    """Give the candidates ids, shuffle them and write `count` batches of id,text for labelling."""
    rows = [row for path in candidate_files for row in csv.DictReader(path.open(encoding="utf-8"))]
    random.Random(seed).shuffle(rows)
    for number, row in enumerate(rows, start=1):
        row["id"] = f"{prefix}{number:05d}"
    columns = ("id", "text", *PROVENANCE_COLUMNS)
    atomic_write_text(out_dir / f"{prefix}candidates_ids.csv", csv_text(rows, columns))
    size = -(-len(rows) // count)
    for batch in range(count):
        atomic_write_text(out_dir / f"{prefix}batch{batch + 1:02d}.csv",
                          csv_text(rows[batch * size:(batch + 1) * size], ("id", "text")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cut = commands.add_parser("batches", help="ids and labelling batches")
    cut.add_argument("candidates", type=Path, nargs="+")
    cut.add_argument("--out", type=Path, required=True)
    cut.add_argument("--batches", type=int, default=8)
    cut.add_argument("--prefix", default="r", help="id prefix, one per sampling round")
    cut.add_argument("--seed", type=int, default=7)
    join = commands.add_parser("assemble", help="join the passes, split by document, write the data files")
    join.add_argument("candidates", type=Path, nargs="+", help="the id-bearing candidate files")
    join.add_argument("--labels", type=Path, required=True, help="folder of A_*.csv, B_*.csv, C_*.csv")
    join.add_argument("--out", type=Path, default=Path("data"))
    join.add_argument("--test-size", type=int, default=1100)
    join.add_argument("--seed", type=int, default=13)
    join.add_argument("--keep-split", type=Path, help="folder of earlier real_train.csv and real_test.csv whose "
                                                      "documents stay on their side; new documents are drawn")
    join.add_argument("--test-share", type=float, default=0.2, help="with --keep-split: share of the new "
                                                                     "documents' sentences drawn for the test set")
    join.add_argument("--frozen-test", type=Path, help="folder whose real_test.csv stays exactly as it is: every new "
                                                       "sentence goes to training, none nearly copying a test one")
    args = parser.parse_args()
    if args.command == "batches":
        batches(args.candidates, args.out, args.batches, args.prefix, args.seed)
    else:
        kept = kept_split(args.keep_split) if args.keep_split else None
        frozen = frozen_test_set(args.frozen_test) if args.frozen_test else None
        print(json.dumps(assemble(read_candidates(args.candidates), args.labels, args.out, args.test_size,
                                  args.seed, kept, args.test_share, frozen), indent=2))


if __name__ == "__main__":
    main()
