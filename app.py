"""Chat UI over the bundled corpus (or `--index DIR`): `python app.py [--port N] [--share] [--reader R]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {port}")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from qa.readers.factory import DEFAULT_READER, reader_names

    env_port = os.environ.get("QA_PORT") or "7860"
    parser = argparse.ArgumentParser(description="Chat with a document corpus (cited answers).")
    parser.add_argument("--index", type=Path, default=None,
                        help="serve this existing index (default: the bundled corpus, built on first start)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=None,
                        help=f"port (default: $QA_PORT or 7860; now {env_port})")
    parser.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    parser.add_argument("--model", default=None, help="query model (default: the one that built the index)")
    parser.add_argument("--reader", choices=reader_names(), default=DEFAULT_READER,
                        help=f"answer reader (default: {DEFAULT_READER}; the settings can pick another)")
    args = parser.parse_args(argv)
    if args.port is None:
        try:
            args.port = _port(env_port)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"QA_PORT: {exc}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)
    from qa.errors import QAError
    from qa.ui import build_app, launch, start_service

    try:
        service = start_service(args.index, model=args.model, reader=args.reader)
    except QAError as exc:  # anything else is a bug: let it show its traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    launch(build_app(service), host=args.host, port=args.port, share=args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
