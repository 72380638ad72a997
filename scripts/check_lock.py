"""Fail when pyproject.toml and requirements.lock disagree.

The lock is made by `make lock` (or refreshed by `make upgrade`) with uv; every install
(`make setup`, `make demo`, `make test`, `.ci/run`) reads only the lock, with hashes. This check
needs no network, so CI can run it on every submission:

1. the lock's header records a digest of the dependency tables of pyproject.toml; any change to
   them (a new package, a changed range, a new extra) changes the digest;
2. every requirement of pyproject.toml (dependencies and every extra), for this interpreter, is
   pinned exactly once in the lock, at a version its range admits, with hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def dependency_tables(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, object]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }


def digest(tables: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(tables, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_lock(text: str) -> tuple[str | None, dict[str, list[tuple[Version, str | None, bool]]]]:
    recorded = None
    pins: dict[str, list[tuple[Version, str | None, bool]]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(DIGEST_PREFIX):
            recorded = line[len(DIGEST_PREFIX) :].strip()
            continue
        match = PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        hashed = index + 1 < len(lines) and lines[index + 1].strip().startswith("--hash=sha256:")
        pins.setdefault(canonicalize_name(name), []).append((Version(version), marker, hashed))
    return recorded, pins


def problems(pyproject: Path = ROOT / "pyproject.toml", lock: Path = LOCK) -> list[str]:
    if not lock.exists():
        return [f"{lock.name} がありません。`make lock` で作ってください。"]
    tables = dependency_tables(pyproject)
    recorded, pins = read_lock(lock.read_text(encoding="utf-8"))
    found: list[str] = []
    if recorded != digest(tables):
        found.append(
            "pyproject.toml の依存関係が requirements.lock と食い違っています"
            "（ロックの作成後に変更されました）。`make lock` を実行してコミットしてください。"
        )
    requirements = list(tables["dependencies"])  # type: ignore[call-overload]
    for extra in tables["optional-dependencies"].values():  # type: ignore[attr-defined]
        requirements.extend(extra)
    from packaging.markers import Marker

    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        candidates = [
            (version, hashed)
            for version, marker, hashed in pins.get(canonicalize_name(requirement.name), [])
            if marker is None or Marker(marker).evaluate()
        ]
        if len(candidates) != 1:
            found.append(f"{requirement.name}: ロックに {len(candidates)} 件あります（1 件であるべきです）。")
            continue
        version, hashed = candidates[0]
        if not requirement.specifier.contains(version, prereleases=True):
            found.append(
                f"{requirement.name}: ロックの {version} は pyproject.toml の {requirement.specifier} を満たしません。"
            )
        if not hashed:
            found.append(f"{requirement.name}: ロックにハッシュがありません。")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(f"check_lock: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
