"""The model registry: BentoML's model store (name `stance`) plus a promotion record.

Each training run adds an immutable version. Which version is served is recorded
separately in `<home>/stance-promotion.json` (written atomically), never derived from
"the newest", so that a later version can be stored without being served.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from training.artifacts import atomic_write_text
from training.config import registry_home

MODEL_NAME = "stance"
PROMOTION_FILE = "stance-promotion.json"


class RegistryError(LookupError):
    """A version that does not exist, or an empty registry."""


@dataclass(frozen=True)
class VersionInfo:
    """What `stance models` shows about one stored version."""

    tag: str
    created: datetime
    metadata: dict
    promoted: bool


class Registry:
    """Model versions in a BentoML store rooted at `home` (default: $BENTOML_HOME or ./models)."""

    def __init__(self, home: Path | None = None):
        from bentoml._internal.models.model import ModelStore

        self.home = Path(home or registry_home()).resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.store = ModelStore(self.home / "models")

    def add(self, model_dir: Path, metadata: dict) -> str:
        """Copy a trained model directory into the store as a new version; return its tag."""
        import bentoml

        with bentoml.models.create(MODEL_NAME, metadata=metadata, _model_store=self.store) as model:
            for item in Path(model_dir).iterdir():
                target = Path(model.path) / item.name
                if item.is_dir():
                    shutil.copytree(item, target)
                else:
                    shutil.copy2(item, target)
        return str(model.tag)

    def versions(self) -> list[VersionInfo]:
        """Every stored version, oldest first."""
        promoted = self.promoted()
        models = self.store.list(MODEL_NAME) if self._has_any() else []
        infos = [
            VersionInfo(tag=str(m.tag), created=m.info.creation_time, metadata=dict(m.info.metadata),
                        promoted=str(m.tag) == promoted)
            for m in models
        ]
        return sorted(infos, key=lambda info: info.created)

    def _has_any(self) -> bool:
        return (self.home / "models" / MODEL_NAME).is_dir()

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

    def path_of(self, tag: str) -> Path:
        return Path(self.store.get(tag).path)

    def info(self, tag: str) -> VersionInfo:
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

    def rollback(self) -> str:
        """Re-promote the version that was promoted before the current one."""
        history = self._promotion_record()["history"]
        if len(history) < 2:
            raise RegistryError("nothing to roll back to: only one version has ever been promoted")
        previous = history[-2]["version"]
        return self.promote(previous, reason=f"rollback from {history[-1]['version']}")
