"""The rule-based reader, split by concept: `config`, `answer_types` and `question` (question analysis),
`glossary` (English → Chinese words), span finders (`numbers`, `dates`, `quotes`, `entities` with `postag`,
all gathered by `extract`), `evidence` and `alignment` (sentence scoring), `candidates` (span scoring) and
`reader` (the decision: abstention, alternatives, citations)."""
