"""The span model in torch: e5-small's BERT encoder with a start/end head, for training, export and serving.

The encoder is written out here (about 60 lines of plain torch, the same maths and parameter names as
`transformers.BertModel`) so that serving the model needs neither the `transformers` import (seconds of a
cold start) nor a random initialisation of the 96M-entry word-embedding table that is loaded over anyway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from qa.readers.neural.weights import ReaderWeightsError

FROZEN_PREFIX = (
    "bert.embeddings.word_embeddings."  # 96M of e5-small's 118M parameters: never trained, never shipped
)
WORD_EMBEDDINGS = FROZEN_PREFIX + "weight"


class ModelFolderError(ReaderWeightsError):
    """The e5 folder's config or weights do not describe the encoder this module implements."""


@dataclass(frozen=True)
class BertShape:
    """The encoder's dimensions, from the model folder's config.json."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_positions: int
    type_vocab: int
    eps: float

    @classmethod
    def of_folder(cls, folder: Path) -> BertShape:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        act, pos = cfg.get("hidden_act", "gelu"), cfg.get("position_embedding_type", "absolute")
        if act != "gelu" or pos != "absolute":
            raise ModelFolderError(
                f"{folder}: only BERT encoders with exact GELU and absolute positions are supported "
                f"(hidden_act={act!r}, position_embedding_type={pos!r})"
            )
        return cls(
            vocab_size=cfg["vocab_size"],
            hidden=cfg["hidden_size"],
            layers=cfg["num_hidden_layers"],
            heads=cfg["num_attention_heads"],
            intermediate=cfg["intermediate_size"],
            max_positions=cfg["max_position_embeddings"],
            type_vocab=cfg.get("type_vocab_size", 2),
            eps=cfg.get("layer_norm_eps", 1e-12),
        )


class _Embeddings(nn.Module):
    def __init__(self, s: BertShape, dropout: float, words: torch.Tensor | None) -> None:
        super().__init__()
        self.word_embeddings = (
            nn.Embedding(s.vocab_size, s.hidden)
            if words is None
            else nn.Embedding.from_pretrained(words, freeze=False)  # taken as is: no random init
        )
        self.position_embeddings = nn.Embedding(s.max_positions, s.hidden)
        self.token_type_embeddings = nn.Embedding(s.type_vocab, s.hidden)
        self.LayerNorm = nn.LayerNorm(s.hidden, eps=s.eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        # one segment (token type 0 everywhere); summed in transformers' order, which int8 rounding notices
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(torch.zeros_like(input_ids))
        x = x + self.position_embeddings(positions)[None]
        return self.dropout(self.LayerNorm(x))


class _SelfAttention(nn.Module):
    def __init__(self, s: BertShape, dropout: float) -> None:
        super().__init__()
        self.heads = s.heads
        self.query = nn.Linear(s.hidden, s.hidden)
        self.key = nn.Linear(s.hidden, s.hidden)
        self.value = nn.Linear(s.hidden, s.hidden)
        self.p = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, h // self.heads).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(
            split(self.query(x)),
            split(self.key(x)),
            split(self.value(x)),
            attn_mask=mask,
            dropout_p=self.p if self.training else 0.0,
            scale=(h // self.heads) ** -0.5,
        )
        return ctx.transpose(1, 2).reshape(b, n, h)


class _Residual(nn.Module):
    """dense -> dropout -> LayerNorm(x + residual): BERT's `*Output` blocks."""

    def __init__(self, d_in: int, s: BertShape, dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(d_in, s.hidden)
        self.LayerNorm = nn.LayerNorm(s.hidden, eps=s.eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _Attention(nn.Module):
    def __init__(self, s: BertShape, dropout: float) -> None:
        super().__init__()
        self.self = _SelfAttention(s, dropout)
        self.output = _Residual(s.hidden, s, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, mask), x)


class _Intermediate(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.dense = nn.Linear(s.hidden, s.intermediate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, s: BertShape, dropout: float) -> None:
        super().__init__()
        self.attention = _Attention(s, dropout)
        self.intermediate = _Intermediate(s)
        self.output = _Residual(s.intermediate, s, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class _Encoder(nn.Module):
    def __init__(self, s: BertShape, dropout: float) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(s, dropout) for _ in range(s.layers))


class Bert(nn.Module):
    """BERT's encoder without the pooler: token ids and attention mask in, last hidden states out."""

    def __init__(self, s: BertShape, dropout: float = 0.0, words: torch.Tensor | None = None) -> None:
        super().__init__()
        self.embeddings = _Embeddings(s, dropout, words)
        self.encoder = _Encoder(s, dropout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(input_ids)
        # (batch, 1, 1, key), added to the attention scores: 0 where a key may be read, the lowest float where
        # it is padding (as transformers does; its int8 ONNX export is what the reader's recipe was chosen on)
        keep = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - keep) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x


class SpanModel(nn.Module):
    """BERT encoder (from the e5 folder) + a linear head giving a start and an end logit per token."""

    def __init__(self, bert: nn.Module, hidden: int) -> None:
        super().__init__()
        self.bert = bert
        self.qa_outputs = nn.Linear(hidden, 2)

    @classmethod
    def from_e5_folder(cls, folder: Path, *, dropout: float = 0.0) -> SpanModel:
        """A span model on the e5 weights (the head initialised from torch's RNG: the caller seeds it)."""
        from safetensors.torch import load_file

        state = load_file(str(folder / "model.safetensors"))
        bert = _bert(folder, state, dropout)
        missing, _ = bert.load_state_dict({k: v for k, v in state.items() if k != _E5_WORDS}, strict=False)
        missing = [m for m in missing if m != _E5_WORDS]
        if missing:
            raise ModelFolderError(f"{folder}/model.safetensors lacks {missing[:5]}")
        return cls(bert, bert.embeddings.word_embeddings.embedding_dim)

    @classmethod
    def for_inference(cls, folder: Path, trained: Mapping[str, torch.Tensor]) -> SpanModel:
        """A fine-tuned model for serving, in eval mode: the word-embedding table from the e5 folder,
        everything else from ``trained`` (a `trainable_state`)."""
        from safetensors import safe_open

        with safe_open(str(folder / "model.safetensors"), "pt") as f:
            words = {_E5_WORDS: f.get_tensor(_E5_WORDS)}
        bert = _bert(folder, words, 0.0)
        model = cls(bert, bert.embeddings.word_embeddings.embedding_dim)
        model.load_trainable_state(trained)
        return model.eval()

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.bert(input_ids, attention_mask)
        logits = self.qa_outputs(hidden).float()
        start, end = logits.unbind(-1)
        # padding can never be a span boundary
        neg = torch.finfo(start.dtype).min
        start = start.masked_fill(attention_mask == 0, neg)
        end = end.masked_fill(attention_mask == 0, neg)
        return start, end

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """Everything but the frozen word-embedding table: what a checkpoint and the shipped weights hold."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith(FROZEN_PREFIX)}

    def load_trainable_state(self, state: Mapping[str, Any]) -> None:
        missing, unexpected = self.load_state_dict(dict(state), strict=False)
        missing = [m for m in missing if not m.startswith(FROZEN_PREFIX)]
        if missing or unexpected:
            raise ValueError(
                f"span model weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}"
            )


_E5_WORDS = WORD_EMBEDDINGS.removeprefix("bert.")  # the table's name in the e5 folder (no "bert." prefix)


def _bert(folder: Path, state: Mapping[str, torch.Tensor], dropout: float) -> Bert:
    """The encoder shaped by the folder's config, on the word-embedding table in ``state``."""
    if _E5_WORDS not in state:
        raise ModelFolderError(f"{folder}/model.safetensors has no {_E5_WORDS}")
    return Bert(BertShape.of_folder(folder), dropout, words=state[_E5_WORDS])
