"""requirements.lock holds every dependency of pyproject.toml, exactly and with hashes; a change to one
without the other fails (scripts/check_lock.py, run by make setup and make lint)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import check_lock  # noqa: E402


def test_the_lock_matches_pyproject():
    assert check_lock.problems() == []


@pytest.fixture
def copies(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    lock = tmp_path / "requirements.lock"
    pyproject.write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    lock.write_text((ROOT / "requirements.lock").read_text(encoding="utf-8"), encoding="utf-8")
    return pyproject, lock


def test_a_new_dependency_without_a_new_lock_fails(copies):
    pyproject, lock = copies
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"PyYAML>=6.0",', '"PyYAML>=6.0",\n  "left-pad>=1",'), encoding="utf-8")
    found = check_lock.problems(pyproject, lock)
    assert any("食い違っています" in p for p in found)
    assert any(p.startswith("left-pad: ロックに 0 件") for p in found)


def test_a_pin_outside_the_range_fails_even_with_the_digest_updated(copies):
    pyproject, lock = copies
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text.replace("\ndjango==5.2.", "\ndjango==5.1."), encoding="utf-8")
    assert any(p.startswith("Django: ロックの 5.1.") for p in check_lock.problems(pyproject, lock))


def test_a_pin_without_hashes_fails(copies):
    pyproject, lock = copies
    lines = lock.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("openpyxl=="))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    --hash"):
        end += 1
    lines[start:end] = ["openpyxl==" + lines[start].split("==")[1].split()[0]]
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "openpyxl: ロックにハッシュがありません。" in check_lock.problems(pyproject, lock)
