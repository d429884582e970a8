"""The trainer on a tiny BERT and a tiny CMRC-format set: a run killed after a checkpoint and resumed ends
with exactly the weights of a run that was never stopped, and the run records what decided it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from training import reader_train  # noqa: E402
from training.data import SOURCES  # noqa: E402
from training.reader_train import TrainConfig, train  # noqa: E402

PLACES = ["北京", "上海", "广州", "深圳", "杭州", "南京"]


def _data(root: Path) -> None:
    paragraphs = []
    for c in range(24):
        place, other = PLACES[c % 6], PLACES[(c + 1) % 6]
        context = f"第{c}家公司在{place}，工厂在{other}。"
        paragraphs.append(
            {
                "id": f"p{c}",
                "context": context,
                "qas": [
                    {"id": f"q{c}", "question": "公司在哪里？",
                     "answers": [{"text": place, "answer_start": context.index(place)}]},
                    {"id": f"n{c}", "question": "老板是谁？", "answers": [], "is_impossible": True},
                ],
            }
        )  # fmt: skip
    path = root / SOURCES["cmrc"]
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}, ensure_ascii=False))


def _model_folder(folder: Path) -> None:
    """A character-level tokenizer and a 1-layer BERT over its vocabulary, in the e5 folder's layout."""
    from safetensors.torch import save_file
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    chars = sorted(set("".join(PLACES) + "第家公司在，工厂。老板是谁？哪里0123456789"))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "[UNK]": 3} | {ch: i + 4 for i, ch in enumerate(chars)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\S"), behavior="isolated")
    folder.mkdir()
    tok.save(str(folder / "tokenizer.json"))
    cfg = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, pad_token_id=1,
    )  # fmt: skip
    torch.manual_seed(0)
    bert = transformers.BertModel(cfg, add_pooling_layer=False)
    cfg.save_pretrained(folder)
    save_file({k: v.contiguous() for k, v in bert.state_dict().items()}, str(folder / "model.safetensors"))


CFG = TrainConfig(
    sources=("cmrc",), max_len=24, stride=8, max_question=8, max_answer_tokens=6, negative_share=0.5,
    heldout_share=0.1, epochs=2.0, lr=3e-3, warmup=0.1, batch_size=4,
)  # fmt: skip


def _train(out: Path, tmp_path: Path, *, resume: bool = False, cfg: TrainConfig = CFG) -> None:
    train(
        out, cfg, resume=resume, limit=None, max_steps=None, checkpoint_every=1, threads=1,
        model_folder=tmp_path / "model", data_root=tmp_path / "data", retrieval_model="fake",
    )  # fmt: skip


def test_a_killed_run_resumes_to_the_same_weights(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from safetensors.torch import load_file

    _data(tmp_path / "data")
    _model_folder(tmp_path / "model")
    _train(tmp_path / "whole", tmp_path)
    config = json.loads((tmp_path / "whole" / "train_config.json").read_text())
    steps = config["steps"]
    assert steps >= 6 and config["config"]["sources"] == ["cmrc"] and len(config["data"]["cmrc"]["sha256"]) == 64
    assert set(config["cpu_bf16"]) == {"amx_bf16", "avx512_bf16"}
    losses = [json.loads(line)["loss"] for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert losses and losses[-1] < losses[0]  # it learns

    saves = []
    real_save = reader_train._save_checkpoint

    def save_then_die(path, model, opt, sched, step, epoch_batches):  # noqa: ANN001
        real_save(path, model, opt, sched, step, epoch_batches)
        saves.append(step)
        if step == steps // 2 + 1:  # mid-epoch, just after a checkpoint
            raise KeyboardInterrupt

    monkeypatch.setattr(reader_train, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "stopped", tmp_path)
    assert not (tmp_path / "stopped" / "final.safetensors").exists()
    monkeypatch.setattr(reader_train, "_save_checkpoint", real_save)
    _train(tmp_path / "stopped", tmp_path, resume=True)

    whole = load_file(str(tmp_path / "whole" / "final.safetensors"))
    resumed = load_file(str(tmp_path / "stopped" / "final.safetensors"))
    assert whole.keys() == resumed.keys() and "qa_outputs.weight" in whole
    assert not any(k.startswith("bert.embeddings.word_embeddings") for k in whole)  # never shipped
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_hard_negatives_are_mined_once_and_a_resumed_run_reuses_them(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from dataclasses import replace

    from safetensors.torch import load_file

    from training import negatives

    _data(tmp_path / "data")
    _model_folder(tmp_path / "model")
    cfg = replace(CFG, hard_negative_share=0.5, epochs=1.0)
    _train(tmp_path / "whole", tmp_path, cfg=cfg)
    config = json.loads((tmp_path / "whole" / "train_config.json").read_text())
    saved = negatives.load_negatives(tmp_path / "whole" / negatives.NEGATIVES_FILE)
    assert config["config"]["hard_negative_share"] == 0.5 and config["hard_negatives"] == len(saved) > 0
    assert all(n.start == -1 and n.qid.endswith(":neg") for n in saved)

    real_save = reader_train._save_checkpoint

    def save_then_die(path, model, opt, sched, step, epoch_batches):  # noqa: ANN001
        real_save(path, model, opt, sched, step, epoch_batches)
        if step == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(reader_train, "_save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "stopped", tmp_path, cfg=cfg)
    monkeypatch.setattr(reader_train, "_save_checkpoint", real_save)

    def no_mining(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("a resumed run mined its negatives again")

    monkeypatch.setattr(negatives, "mine_hard_negatives", no_mining)
    _train(tmp_path / "stopped", tmp_path, resume=True, cfg=cfg)
    whole = load_file(str(tmp_path / "whole" / "final.safetensors"))
    resumed = load_file(str(tmp_path / "stopped" / "final.safetensors"))
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_a_code_switched_run_records_its_dictionary_and_resumes_only_with_it(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import gzip
    from dataclasses import replace

    _data(tmp_path / "data")
    _model_folder(tmp_path / "model")
    cedict = tmp_path / "cedict.txt.gz"
    with gzip.open(cedict, "wt", encoding="utf-8") as f:
        f.write("公司 公司 [gong1 si1] /company/firm/\n哪裡 哪里 [na3 li3] /where?/\n")
    cfg = replace(CFG, code_switch_share=1.0, code_switch_rate=1.0, epochs=1.0)
    seen: list[str] = []
    from training import features

    real_build = features.build_features

    def spy(examples, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        seen.extend(ex.question for ex in examples)
        return real_build(examples, *args, **kwargs)

    monkeypatch.setattr(features, "build_features", spy)

    def run(out: Path, dictionary: Path, *, resume: bool = False) -> None:
        train(
            out, cfg, resume=resume, limit=None, max_steps=2 if not resume else None, checkpoint_every=1,
            threads=1, model_folder=tmp_path / "model", data_root=tmp_path / "data", glosses_path=dictionary,
        )  # fmt: skip

    run(tmp_path / "run", cedict)
    config = json.loads((tmp_path / "run" / "train_config.json").read_text())
    switched = config["code_switch"]
    assert switched["dictionary"] == "cedict.txt.gz" and len(switched["sha256"]) == 64
    # every answerable question "公司在哪里？" became "company 在 where ？"; the unanswerable ones have no gloss
    assert switched["questions"] == sum(q == "company 在 where ？" for q in seen) > 0
    assert "公司在哪里？" not in seen

    other = tmp_path / "other.txt.gz"
    with gzip.open(other, "wt", encoding="utf-8") as f:
        f.write("公司 公司 [gong1 si1] /firm/\n")
    with pytest.raises(SystemExit, match="not the one this run started with"):
        run(tmp_path / "run", other, resume=True)
