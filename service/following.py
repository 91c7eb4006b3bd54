"""The model service's current version, which follows the registry's promotion record.

A background thread reads the promotion record every few seconds. When another version is
promoted it loads that version beside the one in use and then swaps one reference, so a
request is always answered by one complete model: the old one until the swap, the new one
after it. Nothing is refused or dropped during the switch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stance.artifacts import read_backend_check
from stance.inference import StanceClassifier

logger = logging.getLogger("bentoml.stance")


@dataclass(frozen=True)
class LoadedVersion:
    """A loaded model version and what `/model` says about it."""

    classifier: StanceClassifier
    metadata: dict
    created: str
    backend_check: dict | None = None


def load_version(model, *, batch_size: int, backend: str | None = None) -> LoadedVersion:
    """Load a stored version through the same `StanceClassifier` evaluation uses.

    `model` is a BentoML model: the service's class-scope `BentoModel`, or `Registry.stored(tag)`.
    `backend` None means the one chosen when the version was created.
    """
    classifier = StanceClassifier.from_dir(model.path, version=str(model.tag), batch_size=batch_size,
                                           backend=backend)
    return LoadedVersion(classifier=classifier, metadata=dict(model.info.metadata),
                         created=model.info.creation_time.isoformat(timespec="seconds"),
                         backend_check=read_backend_check(Path(model.path)))


class VersionFollower:
    """Holds the served version; `start` makes it follow promotions until the process exits."""

    def __init__(self, initial: LoadedVersion, *, promoted: Callable[[], str | None],
                 load: Callable[[str], LoadedVersion], poll_seconds: float):
        self._current = initial
        self._promoted = promoted
        self._load = load
        self._poll_seconds = poll_seconds
        self._failed: str | None = None

    @property
    def current(self) -> LoadedVersion:
        return self._current

    def check(self) -> bool:
        """Switch to the promoted version if it changed; True when a switch happened.

        A version that fails to load is logged and skipped (the current one keeps serving)
        until the promotion record names another.
        """
        try:
            tag = self._promoted()
        except (OSError, ValueError) as error:  # a record being replaced, or unreadable
            logger.warning("could not read the promotion record: %s", error)
            return False
        if not tag or tag in (self._current.classifier.version, self._failed):
            return False
        try:
            loaded = self._load(tag)
        except Exception:
            logger.exception("could not load promoted version %s; still serving %s",
                             tag, self._current.classifier.version)
            self._failed = tag
            return False
        previous, self._current, self._failed = self._current.classifier.version, loaded, None
        logger.info("now serving %s (was %s)", tag, previous)
        return True

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._follow, name="stance-version-follower", daemon=True)
        thread.start()
        return thread

    def _follow(self) -> None:
        while True:
            time.sleep(self._poll_seconds)
            self.check()
