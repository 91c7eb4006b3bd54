"""Watching a running service switch versions under load: how long a promotion takes to be served,
and whether any request fails or is answered by the old version afterwards.

The tests of promotion following and `make bench-switch` both measure it this way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

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
