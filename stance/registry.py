"""The model registry: BentoML's model store (name `stance`) plus a promotion record.

Each training run adds an immutable version. Which version is served is recorded
separately in `<home>/stance-promotion.json` (written atomically), never derived from
"the newest", so that a later version can be stored without being served.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from stance.artifacts import read_backend_check
from stance.config import registry_home
from stance.files import atomic_write_text

MODEL_NAME = "stance"
PROMOTION_FILE = "stance-promotion.json"
LOCK_FILE = "stance.lock"
COMMIT_JOURNAL = "stance-commit.json"
WORK_PREFIX = "stance-work-"


class RegistryError(LookupError):
    """A version that does not exist, or an empty registry."""


class RegistryBusy(RegistryError):
    """Another command holds the registry's lock (a training or retraining run)."""


@dataclass(frozen=True)
class VersionInfo:
    """What `stance models` shows about one stored version."""

    tag: str
    created: datetime
    metadata: dict
    promoted: bool
    backend: dict | None = None  # the backend check (backend.json), None if never checked


def _model_store(path: Path):
    """A BentoML model store rooted at `path`.

    BentoML's public API reaches only the store of $BENTOML_HOME as it was when bentoml was
    imported; a registry at any other home (tests, a second project) needs a store object of its
    own, which only the internal `ModelStore` class makes. The public `bentoml.models` functions
    take it as their `_model_store` argument.
    """
    from bentoml._internal.models.model import ModelStore

    return ModelStore(path)


class Registry:
    """Model versions in a BentoML store rooted at `home` (default: $BENTOML_HOME or ./models)."""

    def __init__(self, home: Path | None = None):
        self.home = Path(home or registry_home()).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.store = _model_store(self.home / "models")

    def add(self, model_dir: Path, metadata: dict) -> str:
        """Copy a trained model directory into the store as a new version; return its tag.

        The version is assembled by `bentoml.models.create` in a staging store beside the real
        one and moved in with one rename, so a process killed while copying leaves no
        half-written version. BentoML has no public call that moves a version in atomically (its
        own save copies into the store in place), so the rename, and the store's `latest` pointer
        that its save would have written, are done here.
        """
        import bentoml

        with self.workdir("add") as staging:
            with bentoml.models.create(MODEL_NAME, metadata=metadata, _model_store=_model_store(staging)) as model:
                for item in Path(model_dir).iterdir():
                    target = Path(model.path) / item.name
                    if item.is_dir():
                        shutil.copytree(item, target)
                    else:
                        shutil.copy2(item, target)
            versions_dir = self.home / "models" / MODEL_NAME
            versions_dir.mkdir(parents=True, exist_ok=True)
            os.rename(staging / MODEL_NAME / model.tag.version, versions_dir / model.tag.version)
        atomic_write_text(versions_dir / "latest", model.tag.version)
        return str(model.tag)

    def versions(self) -> list[VersionInfo]:
        """Every stored version, oldest first."""
        promoted = self.promoted()
        infos = []
        for model in self._models():
            infos.append(VersionInfo(tag=str(model.tag), created=model.info.creation_time,
                                     metadata=dict(model.info.metadata), promoted=str(model.tag) == promoted,
                                     backend=read_backend_check(Path(model.path))))
        return sorted(infos, key=lambda info: info.created)

    def _models(self) -> list:
        """The readable versions; a folder without a readable model.yaml is not a version."""
        versions_dir = self.home / "models" / MODEL_NAME
        if not versions_dir.is_dir():
            return []
        models = []
        for folder in sorted(versions_dir.iterdir()):
            if folder.is_dir() and (folder / "model.yaml").is_file():
                models.append(self.stored(f"{MODEL_NAME}:{folder.name}"))
        return models

    @contextmanager
    def workdir(self, purpose: str) -> Iterator[Path]:
        """A scratch folder inside the registry home (same filesystem, so renames are atomic).

        A process killed while using it leaves it behind; `remove_stale_work` deletes such
        folders once the registry lock shows nobody is using them.
        """
        path = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{purpose}-", dir=self.home))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def remove_stale_work(self) -> list[Path]:
        """Delete scratch folders left by killed runs; call only while holding `exclusive`."""
        stale = sorted(self.home.glob(f"{WORK_PREFIX}*"))
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        return stale

    @contextmanager
    def exclusive(self, command: str) -> Iterator[None]:
        """Hold the registry's lock for the length of a command that adds versions or changes data.

        The lock is an advisory `flock`, which the kernel releases when its holder exits,
        however it exits (SIGKILL included), so a killed run never leaves the registry locked.
        """
        path = self.home / LOCK_FILE
        with path.open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise RegistryBusy(f"the registry {self.home} is busy: {holder}. Only one training or "
                                   "retraining run may change it at a time; wait for that one to finish") from None
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            handle.truncate(0)
            handle.write(f"`{command}` (pid {os.getpid()}) has been running since {started}")
            handle.flush()
            self.finish_interrupted_commit()
            self.remove_stale_work()
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)

    def tag_of(self, version: str) -> str:
        """The full tag of a version given as `stance:v`, `v`, or a unique prefix of `v`."""
        wanted = version.split(":", 1)[-1]
        tags = [info.tag for info in self.versions()]
        exact = [tag for tag in tags if tag.split(":", 1)[1] == wanted]
        matches = exact or [tag for tag in tags if tag.split(":", 1)[1].startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            known = ", ".join(tag.split(":", 1)[1] for tag in tags) or "none"
            raise RegistryError(f"no model version '{version}' in {self.home} (versions: {known})")
        raise RegistryError(f"'{version}' matches several versions: {', '.join(matches)}")

    def resolve(self, version: str | None = None) -> str:
        """The tag of `version`, or of the promoted version when None."""
        if version:
            return self.tag_of(version)
        promoted = self.promoted()
        if promoted is None:
            raise RegistryError(
                f"no promoted model in {self.home}: train one with `stance train` "
                "(or `make train`)"
            )
        return promoted

    def stored(self, tag: str):
        """The BentoML model of a stored version (its files, tag and info)."""
        import bentoml

        return bentoml.models.get(tag, _model_store=self.store)

    def path_of(self, tag: str) -> Path:
        return Path(self.stored(tag).path)

    def info(self, version: str) -> VersionInfo:
        """What is known of one stored version (tag, version or unique prefix)."""
        tag = self.tag_of(version)
        return next(info for info in self.versions() if info.tag == tag)

    def _promotion_record(self) -> dict:
        path = self.home / PROMOTION_FILE
        if not path.is_file():
            return {"promoted": None, "history": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def promoted(self) -> str | None:
        return self._promotion_record()["promoted"]

    def promote(self, version: str, reason: str = "manual") -> str:
        """Make `version` the served one; the history keeps every earlier promotion."""
        tag = self.tag_of(version)
        record = self._promotion_record()
        record["history"].append({
            "version": tag,
            "promoted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "reason": reason,
        })
        record["promoted"] = tag
        atomic_write_text(self.home / PROMOTION_FILE, json.dumps(record, indent=2))
        return tag

    def promote_with_data(self, version: str, reason: str, pending: Path, target: Path) -> str:
        """Promote `version` and move the data it was trained on (`pending`) over `target`, as one step.

        The two changes are written to a journal first. If the process dies after that, the
        next holder of the lock finishes them (`finish_interrupted_commit`); if it dies before,
        neither happened. Either way the data and the promoted version stay consistent.
        """
        tag = self.tag_of(version)
        journal = {"version": tag, "reason": reason, "pending": str(Path(pending).resolve()),
                   "target": str(Path(target).resolve())}
        atomic_write_text(self.home / COMMIT_JOURNAL, json.dumps(journal, indent=2))
        self.finish_interrupted_commit()
        return tag

    def finish_interrupted_commit(self) -> dict | None:
        """Complete a promotion-with-data whose journal is still present; return that journal."""
        path = self.home / COMMIT_JOURNAL
        if not path.is_file():
            return None
        journal = json.loads(path.read_text(encoding="utf-8"))
        if self.promoted() != journal["version"]:
            self.promote(journal["version"], reason=journal["reason"])
        if Path(journal["pending"]).is_file():
            os.replace(journal["pending"], journal["target"])
        path.unlink()
        return journal

    def rollback(self) -> str:
        """Re-promote the version that was promoted before the current one."""
        history = self._promotion_record()["history"]
        if len(history) < 2:
            raise RegistryError("nothing to roll back to: only one version has ever been promoted")
        previous = history[-2]["version"]
        return self.promote(previous, reason=f"rollback from {history[-1]['version']}")
