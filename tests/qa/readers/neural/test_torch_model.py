"""The span model's own BERT encoder: the same outputs as transformers' BertModel, and no transformers import
when the reader is served."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from qa.readers.neural.torch_model import ModelFolderError, SpanModel  # noqa: E402


def _tiny_folder(tmp_path: Path, **overrides: object) -> tuple[Path, object]:
    """A model folder (config.json + model.safetensors) of a small random BERT, and that BERT."""
    from safetensors.torch import save_file

    cfg = transformers.BertConfig(
        vocab_size=120,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=1,
        **overrides,
    )
    torch.manual_seed(0)
    bert = transformers.BertModel(cfg, add_pooling_layer=True).eval()  # e5 folders carry a pooler too
    cfg.save_pretrained(tmp_path)
    save_file({k: v.contiguous() for k, v in bert.state_dict().items()}, str(tmp_path / "model.safetensors"))
    return tmp_path, bert


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, 120, (3, 20), generator=g)
    ids[:, 0] = 0
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    mask[2, 5:] = 0
    return ids.masked_fill(mask == 0, 1), mask


def test_encoder_gives_exactly_transformers_outputs(tmp_path: Path) -> None:
    """Bit-identical in fp32 (the int8 ONNX build rounds whatever differs, so even the order of sums is
    kept), and in bf16 autocast."""
    folder, bert = _tiny_folder(tmp_path)
    model = SpanModel.from_e5_folder(folder).eval()
    ids, mask = _batch()
    keep = mask.bool()
    for bf16 in (False, True):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            ours = model.bert(ids, mask)
            ref = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        assert torch.equal(ours[keep], ref[keep]), (bf16, (ours - ref)[keep].abs().max())


def test_served_model_takes_trained_weights_and_folder_word_table(tmp_path: Path) -> None:
    folder, _ = _tiny_folder(tmp_path)
    torch.manual_seed(3)
    trained = SpanModel.from_e5_folder(folder)
    with torch.no_grad():
        for name, p in trained.named_parameters():
            if "word_embeddings" not in name:
                p.add_(0.01 * torch.randn_like(p))  # "fine-tuned": every trained tensor differs from e5's
    served = SpanModel.for_inference(folder, trained.trainable_state())
    assert not served.training
    ids, mask = _batch()
    with torch.inference_mode():
        a, b = trained.eval()(ids, mask), served(ids, mask)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="do not fit"):
        SpanModel.for_inference(folder, {"qa_outputs.weight": torch.zeros(2, 32)})


def test_an_encoder_this_module_does_not_implement_is_a_clear_error(tmp_path: Path) -> None:
    folder, _ = _tiny_folder(tmp_path, hidden_act="relu")
    with pytest.raises(ModelFolderError, match="exact GELU"):
        SpanModel.from_e5_folder(folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["hidden_act"] = "gelu"
    (folder / "config.json").write_text(json.dumps(cfg))
    from safetensors.torch import load_file, save_file

    state = load_file(str(folder / "model.safetensors"))
    del state["encoder.layer.1.output.dense.weight"]
    save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(ModelFolderError, match=r"lacks \['encoder.layer.1.output.dense.weight'\]"):
        SpanModel.from_e5_folder(folder)


@pytest.mark.slow
def test_serving_the_torch_runtime_does_not_import_transformers() -> None:
    """transformers costs seconds of a cold start; the shipped model is built without it."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from qa.readers.neural.runtime import make_scorer\n"
        "s = make_scorer('torch-fp32', threads=1)\n"
        "ids = np.array([[0, 41, 2, 2, 6, 12, 2]]); start, end = s(ids, np.ones_like(ids))\n"
        "assert start.shape == (1, 7), start.shape\n"
        "print('transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
