"""The span model in torch: e5-small with a start/end head (for training and the one-time ONNX export)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

FROZEN_PREFIX = (
    "bert.embeddings.word_embeddings."  # 96M of e5-small's 118M parameters: never trained, never shipped
)


class SpanModel(nn.Module):
    """BERT encoder (from the e5 folder) + a linear head giving a start and an end logit per token."""

    def __init__(self, bert: nn.Module, hidden: int) -> None:
        super().__init__()
        self.bert = bert
        self.qa_outputs = nn.Linear(hidden, 2)

    @classmethod
    def from_e5_folder(cls, folder: Path, *, dropout: float = 0.0) -> SpanModel:
        """A fresh span model on the e5 weights (head initialised with a fixed seed by the caller)."""
        from transformers import AutoConfig, BertModel

        config = AutoConfig.from_pretrained(folder)
        config.hidden_dropout_prob = dropout
        config.attention_probs_dropout_prob = dropout
        bert = BertModel.from_pretrained(
            folder, config=config, add_pooling_layer=False, attn_implementation="sdpa"
        )
        return cls(bert, config.hidden_size)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
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

    def load_trainable_state(self, state: dict[str, Any]) -> None:
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = [m for m in missing if not m.startswith(FROZEN_PREFIX)]
        if missing or unexpected:
            raise ValueError(
                f"span model weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}"
            )
