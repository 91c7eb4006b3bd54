"""Seconds from a promotion to the running service answering with the new version, under load.

Starts the real service over the registry ($BENTOML_HOME or ./models), keeps `--clients`
callers sending single-sentence /classify requests, promotes another stored version, waits
for the first answer from it, then rolls back the same way. Every request must succeed.
Run with `make bench-switch`; needs at least two stored versions. Writes
benchmarks/results/switch.json.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from service.launcher import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = {"sentences": ["The ministry denied that troops had withdrawn from the town."]}


@dataclass
class Switch:
    """What the callers saw while one promotion took effect."""

    to_version: str
    seconds: float | None = None  # promotion to the first answer from `to_version`
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    answered_by_old_after_switch: int = 0  # answers from another version sent after the switch was seen


def switch_under_load(url: str, promote: Callable[[], str], clients: int = 8, settle_s: float = 1.5,
                      timeout_s: float = 60) -> Switch:
    """Call `promote` (which returns the new tag) while `clients` threads keep calling /classify."""
    answers: list[tuple[float, float, str]] = []  # (sent, answered, version)
    stop = threading.Event()
    switch = Switch(to_version="")

    def caller() -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    response = client.post(f"{url}/classify", json=SENTENCE)
                except httpx.HTTPError as error:
                    switch.failures.append(repr(error))
                    continue
                if response.status_code != 200:
                    switch.failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    answers.append((sent, time.monotonic(), response.json()["model_version"]))

    threads = [threading.Thread(target=caller) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(settle_s)
    promoted_at = time.monotonic()
    switch.to_version = promote()
    deadline = promoted_at + timeout_s
    while switch.seconds is None and time.monotonic() < deadline:
        first = [answered for _, answered, version in list(answers) if version == switch.to_version]
        if first:
            switch.seconds = round(min(first) - promoted_at, 2)
        time.sleep(0.05)
    time.sleep(settle_s)
    stop.set()
    for thread in threads:
        thread.join()
    switch.requests = len(answers) + len(switch.failures)
    if switch.seconds is not None:
        seen_at = promoted_at + switch.seconds
        switch.answered_by_old_after_switch = sum(
            1 for sent, _, version in answers if sent > seen_at + 0.5 and version != switch.to_version)
    return switch


def main() -> None:
    from training.registry import Registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--version", help="version to switch to [default: the newest one not promoted]")
    args = parser.parse_args()
    registry = Registry()
    current = registry.resolve(None)
    others = [info.tag for info in registry.versions() if info.tag != current]
    if not others and not args.version:
        raise SystemExit("needs a second stored version: train one with `stance train` or `stance retrain`")
    target = registry.tag_of(args.version) if args.version else others[-1]
    with ServerProcess() as server:
        print(f"serving {current} (ready in {server.ready_s:.1f} s); promoting {target} under "
              f"{args.clients} clients")
        results = [switch_under_load(server.url, lambda: registry.promote(target, reason="bench-switch"),
                                     args.clients)]
        results.append(switch_under_load(server.url, registry.rollback, args.clients))
    for result in results:
        print(f"-> {result.to_version}: answered after {result.seconds} s; {result.requests} requests, "
              f"{len(result.failures)} failed, {result.answered_by_old_after_switch} answered by the old "
              "version after the switch")
    out = ROOT / "benchmarks" / "results" / "switch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(result) for result in results], indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
