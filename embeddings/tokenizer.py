"""One loaded tokenizer per tokenizer.json content per process, shared by the encoder and the span reader.

Parsing e5's 250k-entry tokenizer.json takes about half a second; the ONNX encoder and the neural reader read
the same file (from different folders), so a cold `qa ask --reader neural` would parse it twice. The shared
instance is left unconfigured (no padding, no truncation): users pad and truncate themselves, so that one
caller's settings can never change another's tokens.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()
_BY_DIGEST: dict[str, Any] = {}


def shared_tokenizer(path: Path) -> Any:
    """The `tokenizers.Tokenizer` of this tokenizer.json, loaded once per distinct file content."""
    from tokenizers import Tokenizer

    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with _LOCK:
        tok = _BY_DIGEST.get(digest)
        if tok is None:
            tok = Tokenizer.from_str(data.decode("utf-8"))
            tok.no_padding()
            tok.no_truncation()
            _BY_DIGEST[digest] = tok
        return tok
