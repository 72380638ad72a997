"""Write requirements.lock from uv's output with a header recording what it was made from."""

import sys
from pathlib import Path

from check_lock import DIGEST_PREFIX, dependency_tables, digest

source, target = Path(sys.argv[1]), Path(sys.argv[2])
body = source.read_text(encoding="utf-8")
header = (
    "# requirements.lock — exact versions with hashes; every install reads this file.\n"
    "# Made by `make lock` / `make upgrade` (uv pip compile); do not edit by hand.\n"
    f"{DIGEST_PREFIX}{digest(dependency_tables())}\n"
)
target.write_text(header + body, encoding="utf-8")
source.unlink()
print(f"{target} を更新しました。make test を実行してからコミットしてください。")
