"""Real sentences from public-domain official statements, with the provenance of each.

The sources are git snapshots of public repositories (brought with the library's `fetch` tool):
White House briefings, statements and remarks of 2021-2026 (`brian14708/wh-briefings`, CC0,
US federal work) and of 2009-2016 (`RIstiaque/Country-Counting-from-Press-Briefings`, US
federal work), and US Central Command strike releases of 2014-2016
(`kevinschaul/uscentcom-isil-airstrikes-scraper`, MIT, US federal work). Only officials' words
are kept: reporters' questions are the reporters' own text, and reprinted news articles
("ICYMI", "What they are saying") are left out. No White House text from 2020 is read.

`sample` draws candidates for labelling from whole documents: some at random, some found by
the cues of a denial or a euphemism, so that the labellers see both the cue words that do
rebut or soften something and the many that do not. Run as
`python -m training.realtext GIT_DIR... --out candidates.csv`.
"""

from __future__ import annotations

import argparse
import ast
import csv
import html
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stance.data import PROVENANCE_COLUMNS
from stance.files import atomic_write_text, csv_text
from stance.segment import split_sentences

WH_FOLDERS = ("press-briefings", "speeches-remarks", "statements-releases", "briefings-statements", "remarks",
              "releases", "fact-sheets")
REPRINT_TITLES = re.compile(r"icymi|what they are saying|what they’re saying|sunday show|in case you missed",
                            re.IGNORECASE)
SPEAKER = re.compile(r"^(?:Q|[A-Z][A-Z.’'\- ]{1,60}):\s*|^Q\s+")
STAGE = re.compile(r"\((?:Applause|Laughter|Inaudible|Crosstalk|Cross-talk|Audio|Pause)[^)]*\)\.?", re.IGNORECASE)
DENIAL_CUES = re.compile(r"\b(den(y|ies|ied|ial)|not true|untrue|false(ly)?|no truth|reject(s|ed)?|categorical|"
                         r"misinformation|disinformation|baseless|inaccurate|not accurate|mischaracteri|"
                         r"not the case|nonsense|fake|no evidence|never (said|happened)|wrong|rumou?r|"
                         r"mislead|lie(s)?\b|conspiracy)", re.IGNORECASE)
EUPHEMISM_CUES = re.compile(r"(collateral|right-?siz|restructur|headwind|challeng|transition|adjust|pause|"
                            r"realign|reposition|neutrali[sz]|engag(ed|ing) (an|the|two|three|ISIL)|degrad|"
                            r"kinetic|passed away|let go|downsiz|streamlin|efficienc|reduction in force|furlough|"
                            r"setback|bump|hiccup|glitch|transitory|soften|cooling|slowdown|misspoke|"
                            r"mistakes were made|not ideal|issues with|difficult|tough|strain|disrupt|"
                            r"sacrifice|incident|enhanced|relocat|consolidat|reform|modernize|optimi[sz])",
                            re.IGNORECASE)

# Stronger cues for a second round: phrases that more often do rebut or soften something, so that
# the rare labels reach a useful share (every sampled sentence is still labelled, cue or not).
STRONG_DENIAL_CUES = re.compile(
    r"\b(not true|isn't true|untrue|false(ly)?|no truth|baseless|categorical(ly)?|not accurate|inaccurate|"
    r"misinformation|disinformation|mischaracteri[sz]|not the case|nonsense|fake news|no evidence|"
    r"never happened|simply wrong|flat(ly)? wrong|reject(s|ed)? (the|that|those|these|any|claims?|reports?|"
    r"allegations?|notion|idea|premise|characteri[sz]ation)|den(y|ies|ied) (that|the|any|reports?|allegations?|"
    r"claims?)|conspiracy theor|fabricat|debunk|myth|rumou?rs?|that's not|that is not|doesn't reflect|"
    r"not what (he|she|we|I) said|took .* out of context|out of context|absurd|ridiculous|lies?)\b", re.IGNORECASE)
STRONG_EUPHEMISM_CUES = re.compile(
    r"(passed away|neutrali[sz]|collateral|transitory|bumps|hiccup|glitch|setback|headwinds|right-?siz|downsiz|"
    r"restructur|let go|furlough|reduction in force|challenging (time|period|situation|environment|moment)|"
    r"difficult (time|period|situation|moment|circumstances)|incident|softening|cooling|slowdown|adjustment|"
    r"misspoke|mistakes were made|not ideal|suboptimal|loss of life|ultimate sacrifice|enhanced interrogation|"
    r"kinetic|degrad|anomalous|uptick|volatility|growing pains|course correct|wind down|drawdown|retrograde|"
    r"relocat|consolidat|pause|hard time|tough (time|situation)|strain|disruption|irregularit|shortfall|"
    r"less fortunate|underserved|vulnerable|unrest|tensions|friction|turbulence|rough patch|price adjust)",
    re.IGNORECASE)


# Third round: phrases that most often name an unfavourable fact softly (everyday soft words for
# death, poverty, addiction, dismissal and decline as well as officials' and soldiers' words) or
# rebut a claim outright, to raise the rare labels' share.
TARGETED_DENIAL_CUES = re.compile(
    r"\b((that's|that is|this is|it's|it is|those are|these are|they are|which is) (just |simply |absolutely |"
    r"completely |flatly |patently |totally |not )?(not true|false|untrue|wrong|inaccurate|not accurate|not the case|"
    r"nonsense|ridiculous|absurd|a lie|a myth|fake|incorrect|misleading)|no truth|baseless|unfounded|categorical(ly)?|"
    r"no basis|no evidence (that|of|to)|never said|never happened|did not happen|didn't happen|fake news|"
    r"false (claims?|reports?|narrative|allegations?|information|story|statements?|charges?)|"
    r"(mis|dis)information (about|that|on)|conspiracy theor|made up|fabricat|mischaracteri[sz]|misrepresent|"
    r"misconstru|out of context|den(y|ies|ied) (that|the|any|those|these|reports?|allegations?|claims?|it|this|"
    r"having)|reject(s|ed)? (the|that|those|these|any) (claims?|reports?|allegations?|notion|idea|premise|"
    r"characteri[sz]ation|assertion|suggestion|accusations?)|not what (I|he|she|we) said|set the record straight|"
    r"correct the record|contrary to (what|reports|claims)|debunk|no such)\b", re.IGNORECASE)
TARGETED_EUPHEMISM_CUES = re.compile(
    r"\b(passed away|passing of|pass(ed|ing)? on\b|lost (his|her|their|our) (li(fe|ves)|battle)|loss of (life|lives)|"
    r"laid to rest|no longer with us|ultimate sacrifice|last full measure|gave (his|her|their) li(fe|ves)|"
    r"fallen (heroes|soldiers|service|warriors|officers|comrades)|our fallen|demise|departed|"
    r"less fortunate|underprivileged|disadvantaged|underserved|low-income|economically (struggling|distressed)|"
    r"hard times|tough times|struggling (families|communities)|food insecur|housing insecur|substance (use|abuse)|"
    r"drinking problem|use disorder|let go|between jobs|released from|workforce (reduction|optimi)|"
    r"reduction in force|rightsiz|downsiz|headcount|restructur|collateral damage|neutrali[sz]|enhanced interrogation|"
    r"kinetic|taken off the battlefield|removed from the battlefield|friendly fire|regrettable|mistakes were made|"
    r"misspoke|misstat|negative growth|slowdown|soft landing|cooling|headwinds|softening|correction|transitory|"
    r"bumps? in the road|hiccup|glitch|setback|growing pains|price adjustments?|revenue enhancement|"
    r"senior citizens|golden years|irregularit|inappropriate (behavior|conduct|relationship)|improper|"
    r"pacification|protective reaction|incursion|police action|engaged (an|a|two|three|four|five) ISIL|"
    r"special needs|differently abled|challenged|difficulties|adjustment|readjustment|disruption)",
    re.IGNORECASE)


def clean_text(text: str) -> str:
    """A sentence as a reader sees it: Markdown escapes and emphasis removed, spacing collapsed."""
    text = text.replace("\\[", "[").replace("\\]", "]").replace("\\*", "*").replace("\\_", "_")
    text = re.sub(r"(?<!\w)[*_]{1,2}([^*_]+)[*_]{1,2}(?!\w)", r"\1", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class RealSentence:
    """One sentence an official said or wrote, and where it comes from."""

    text: str
    repository: str  # owner/name
    commit: str
    file: str
    document: str  # repository and file (and release date): the unit the test split keeps whole
    locator: str  # paragraph and sentence numbers within the document
    whole: bool = False  # from a document read whole (the random pool), not only a cue paragraph


def git_files(git_dir: Path, prefix: str = "") -> list[str]:
    out = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", "HEAD", prefix or "."],
                         capture_output=True, text=True, check=True).stdout
    return out.split("\n")[:-1]


def git_text(git_dir: Path, path: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"], capture_output=True,
                          check=True).stdout.decode("utf-8", errors="replace")


def git_commit(git_dir: Path) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def official_paragraphs(lines: list[str]) -> Iterator[str]:
    """The paragraphs of a transcript spoken by officials: a `Q` paragraph and what follows it until
    the next named speaker is a reporter's, and is skipped."""
    reporter = False
    for paragraph in lines:
        paragraph = STAGE.sub("", " ".join(paragraph.split())).strip()
        if not paragraph:
            continue
        if re.match(r"^Q\b", paragraph):
            reporter = True
            continue
        speaker = SPEAKER.match(paragraph)
        if speaker:
            reporter = False
            paragraph = paragraph[speaker.end():].strip()
        if not reporter and paragraph:
            yield paragraph


def _markdown_paragraphs(body: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", body) if block.strip()]


def wh_briefings(git_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(file, official paragraphs) of each briefing, statement or remark of 2021-2026."""
    for path in git_files(git_dir):
        if path.split("/")[0] not in WH_FOLDERS or not path.endswith(".md"):
            continue
        text = git_text(git_dir, path)
        header, _, body = text.partition("\n---\n")
        date = re.search(r"^date: '?(\d{4})", header, re.MULTILINE)
        title = re.search(r"^title: (.*)$", header, re.MULTILINE)
        if not date or date.group(1) == "2020" or (title and REPRINT_TITLES.search(title.group(1))):
            continue
        yield path, list(official_paragraphs(_markdown_paragraphs(body)))


def obama_briefings(git_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(file, official paragraphs) of each 2009-2016 press briefing (HTML held as a bytes literal)."""
    for path in git_files(git_dir, "pressBriefings"):
        text = git_text(git_dir, path)
        title = re.search(r"<h1>(.*?)</h1>", text)
        if title and "/2020" in title.group(1):
            continue
        literal = text[text.find("b'"):].strip() if "b'" in text else text[text.find('b"'):].strip()
        try:
            markup = ast.literal_eval(literal).decode("utf-8", errors="replace")
        except (ValueError, SyntaxError):
            continue
        paragraphs = [html.unescape(re.sub(r"<[^>]+>", " ", p)).replace("\xa0", " ")
                      for p in re.findall(r"<p>(.*?)</p>", markup, re.DOTALL)]
        yield path, list(official_paragraphs(paragraphs))


POLDIS_FILE = "data/US_News_Conferences_1960_1980.rda"
POLDIS_HEADING = re.compile(r"^(?:[A-Z0-9][A-Z0-9 .'’\-&/]*(?:,|\s(?=Q\.|THE PRESIDENT\.)))+(?=\S)"
                            r"|^(?:[A-Z0-9][A-Z0-9'’\-&/]+ ){2,}(?=[A-Z][a-z])")
POLDIS_SPEAKER = re.compile(r"^(Q|THE PRESIDENT|[A-Z][A-Z.’' \-]{2,40})\.\s+")


def poldis_conferences(git_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(file#date, official paragraphs) of each presidential news conference of 1960-1980.

    The text is an R data file (read with `pyreadr`, needed only for this source); each
    conference's paragraphs are joined by commas, topic headings in capitals open some of them
    and each paragraph starts with its speaker ("THE PRESIDENT.", "Q.").
    """
    try:
        import pyreadr
    except ImportError as missing:
        raise SystemExit("reading henriquesposito/poldis needs pyreadr: pip install pyreadr") from missing
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "conferences.rda"
        local.write_bytes(subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{POLDIS_FILE}"],
                                         capture_output=True, check=True).stdout)
        table = next(iter(pyreadr.read_r(str(local)).values()))
    for row in table.itertuples():
        yield f"{POLDIS_FILE}#{row.date}/row{row.Index + 1}", list(official_paragraphs(poldis_paragraphs(row.text)))


def poldis_paragraphs(text: str) -> list[str]:
    """A conference's paragraphs, headings and "[laughter]" removed, speakers as in other transcripts."""
    paragraphs = []
    for part in re.split(r"(?<=[.?!\"”\]]),(?=\S)", text):
        part = POLDIS_HEADING.sub("", re.sub(r"\[\d+\.?\]\s*", "", part)).strip()
        speaker = POLDIS_SPEAKER.match(part)
        if speaker:
            part = f"{speaker.group(1)}: {part[speaker.end():]}" if speaker.group(1) != "Q" else f"Q {part}"
        paragraphs.append(re.sub(r"\s*\[[^\]]*\]\s*", " ", part).strip())
    return paragraphs


def centcom_releases(git_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """One document per release date: its strike lines, each a paragraph."""
    by_date: dict[str, list[str]] = {}
    for row in csv.DictReader(git_text(git_dir, "data/all.csv").splitlines()):
        by_date.setdefault(row["date"], []).append(row["line"].lstrip("-* ").strip())
    for date, lines in by_date.items():
        yield f"data/all.csv#{date}", lines


def sentences(repository: str, git_dir: Path, documents: Iterator[tuple[str, list[str]]],
              whole_share: float, seed: int, cues: tuple[re.Pattern, re.Pattern]) -> Iterator[RealSentence]:
    """The usable sentences (6 to 60 words, ending like a sentence, not a fragment) of a random
    `whole_share` of the documents, whole, and of every paragraph elsewhere that holds a cue.

    Splitting every paragraph of every document into sentences would take hours; the cue
    paragraphs are found by a regular expression first.
    """
    commit = git_commit(git_dir)
    rng = random.Random(seed)
    for path, paragraphs in documents:
        file = path.split("#")[0]
        whole = rng.random() < whole_share
        for p, paragraph in enumerate(paragraphs, start=1):
            if not (whole or any(cue.search(paragraph) for cue in cues)):
                continue
            for s, span in enumerate(split_sentences(paragraph), start=1):
                text = clean_text(span.text)
                words = len(text.split())
                if (6 <= words <= 60 and text[-1] in ".!?\"”" and not text.isupper() and text[0].isupper()
                        and not re.match(r"^Q[\s.:]", text)):
                    yield RealSentence(text=text, repository=repository, commit=commit, file=file,
                                       document=f"{repository}:{path}", locator=f"p{p}s{s}", whole=whole)


def sample(found: list[RealSentence], total: int, seed: int, shares: tuple[float, float, float],
           cues: tuple[re.Pattern, re.Pattern] = (DENIAL_CUES, EUPHEMISM_CUES),
           exclude: frozenset[str] = frozenset(), skip_documents: frozenset[str] = frozenset()) -> list[RealSentence]:
    """`total` sentences: the shares drawn at random, by denial cues and by euphemism cues.

    `exclude` holds texts (lower case, single spaces) sampled in an earlier round; no sentence of
    a document in `skip_documents` (e.g. the real test set's) is drawn.
    """
    rng = random.Random(seed)
    found = [x for x in found if x.document not in skip_documents]
    pools = [[x for x in found if x.whole], [x for x in found if cues[0].search(x.text)],
             [x for x in found if cues[1].search(x.text)]]
    chosen: dict[str, RealSentence] = {key: None for key in exclude}
    for pool, share in zip(pools, shares):
        rng.shuffle(pool)
        wanted = len(chosen) + round(total * share)
        for sentence in pool:
            if len(chosen) >= wanted:
                break
            chosen.setdefault(" ".join(sentence.text.lower().split()), sentence)
    return [sentence for sentence in chosen.values() if sentence is not None]


ROUND_CUES = {1: (DENIAL_CUES, EUPHEMISM_CUES), 2: (STRONG_DENIAL_CUES, STRONG_EUPHEMISM_CUES),
              3: (TARGETED_DENIAL_CUES, TARGETED_EUPHEMISM_CUES), 4: (TARGETED_DENIAL_CUES, TARGETED_EUPHEMISM_CUES)}


def round_plan(round_number: int, sources: dict[str, Path]) -> list[tuple]:
    """What each sampling round read: (repository, git dir, documents, sentences to sample, shares
    (random, denial cues, euphemism cues), share of documents read whole)."""
    wh, obama = "brian14708/wh-briefings", "RIstiaque/Country-Counting-from-Press-Briefings"
    centcom, poldis = "kevinschaul/uscentcom-isil-airstrikes-scraper", "henriquesposito/poldis"
    readers = {wh: wh_briefings, obama: obama_briefings, centcom: centcom_releases, poldis: poldis_conferences}
    plans = {1: [(wh, 2600, (0.4, 0.3, 0.3), 0.04), (obama, 1000, (0.4, 0.35, 0.25), 0.1),
                 (centcom, 200, (0.6, 0.1, 0.3), 0.3)],
             2: [(wh, 1000, (0.0, 0.5, 0.5), 0.0), (obama, 450, (0.0, 0.5, 0.5), 0.0)],
             3: [(wh, 1000, (0.0, 0.45, 0.55), 0.0), (obama, 550, (0.0, 0.45, 0.55), 0.0),
                 (poldis, 650, (0.3, 0.3, 0.4), 0.1), (centcom, 200, (0.0, 0.0, 1.0), 0.0)],
             4: [(wh, 1500, (0.0, 0.55, 0.45), 0.0), (obama, 1300, (0.0, 0.55, 0.45), 0.0),
                 (poldis, 600, (0.0, 0.5, 0.5), 0.0)]}
    return [(repository, sources[repository], readers[repository](sources[repository]), total, shares, whole)
            for repository, total, shares, whole in plans[round_number]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wh", type=Path, required=True, help="git dir of brian14708/wh-briefings")
    parser.add_argument("--obama", type=Path, required=True, help="git dir of RIstiaque/Country-Counting-...")
    parser.add_argument("--centcom", type=Path, required=True, help="git dir of the CENTCOM scraper")
    parser.add_argument("--poldis", type=Path, help="git dir of henriquesposito/poldis (round 3)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--round", type=int, choices=sorted(ROUND_CUES), default=1,
                        help="1: random and broad cues; 2: strong cues; 3: targeted cues and the 1960-80 "
                             "conferences; 4: targeted cues again, more of them for denials")
    parser.add_argument("--exclude", type=Path, nargs="*", default=[],
                        help="candidate files of earlier rounds, whose texts are not sampled again")
    parser.add_argument("--exclude-documents", type=Path, nargs="*", default=[],
                        help="CSV files with a document column (e.g. data/real_test.csv) whose documents are not "
                             "read: a frozen test set stays as it is")
    args = parser.parse_args()
    exclude = frozenset(" ".join(row["text"].lower().split()) for path in args.exclude
                        for row in csv.DictReader(path.open(encoding="utf-8")))
    skipped = frozenset(row["document"] for path in args.exclude_documents
                        for row in csv.DictReader(path.open(encoding="utf-8")))
    cues = ROUND_CUES[args.round]
    sources = {"brian14708/wh-briefings": args.wh, "RIstiaque/Country-Counting-from-Press-Briefings": args.obama,
               "kevinschaul/uscentcom-isil-airstrikes-scraper": args.centcom, "henriquesposito/poldis": args.poldis}
    rows = []
    for repository, git_dir, documents, total, shares, whole_share in round_plan(args.round, sources):
        found = list(sentences(repository, git_dir, documents, whole_share, args.seed, cues))
        picked = sample(found, total, args.seed, shares, cues, exclude, skipped)
        exclude |= {" ".join(x.text.lower().split()) for x in picked}
        print(f"{repository}: {len(found)} sentences, {len(picked)} sampled", flush=True)
        rows += [{"text": x.text, **{c: getattr(x, c) for c in PROVENANCE_COLUMNS}} for x in picked]
    atomic_write_text(args.out, csv_text(rows, ("text", *PROVENANCE_COLUMNS)))


if __name__ == "__main__":
    main()
