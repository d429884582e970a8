"""cProfile of one default-encoder build of 400 200-character passages (where indexing time goes).

    .venv/bin/python bench/profile_index.py > bench/results/index_200_profile.txt
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
from pathlib import Path

from index_speed import pieces_200

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from embeddings.factory import load_encoder
    from qa.api import QA

    docs = pieces_200(400)
    encoder = load_encoder(None)
    with tempfile.TemporaryDirectory() as tmp:
        profile = cProfile.Profile()
        profile.enable()
        QA.build_from_documents(docs, Path(tmp) / "index", encoder=encoder)
        profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
