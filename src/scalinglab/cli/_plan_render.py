"""How ``scalinglab plan`` prints a plan: its table, intervals, reference, cost, memory and inference sweep."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from .._intervals import level_label
from .._units import format_si
from ..plan import Plan
from ..plan.resources import MAX_GPUS_SEARCHED
from ._common import console

__all__ = ["render"]


def _interval(plan: Plan, key: str) -> str:
    iv = plan.intervals.get(key)
    if not iv or abs(iv.high - iv.low) <= 1e-9 * abs(iv.low):  # e.g. the fixed budget of --flops
        return ""
    return f"[{_fmt_ref(key, iv.low)}, {_fmt_ref(key, iv.high)}]"


def _fmt_ref(key: str, value: Any) -> str:
    if not isinstance(value, float):
        return str(value)
    if "flops" in key:
        return f"{value:.3g}"
    if key.startswith("fraction"):
        return f"{max(value, 0.0) * 100:.1f}%"
    if key in ("loss", "tokens_per_param", "target_loss", "loss_given_up"):
        return f"{value:.4g}"
    return format_si(value)


def render(plan: Plan, extra: dict[str, Any]) -> None:
    """The plan as rich text on stdout."""
    budget = extra.get("budget")
    if budget and budget["source"] == "--days":
        console.print(f"[bold]budget[/] from --days: {budget['n_gpus']:,} × {escape(budget['gpu'])} × "
                      f"{budget['peak_flops'] / 1e12:,.0f} TFLOP/s peak × MFU {budget['mfu']:.2f} × "
                      f"{budget['days']:g} days × 86,400 s = {budget['flops']:.3g} FLOPs")
    console.print(_plan_table(plan))
    if plan.intervals:
        level = next(iter(plan.intervals.values())).level
        n_ref = max((iv.n_samples for k, iv in plan.intervals.items() if iv.band == "mean"), default=0)
        console.print(f"[dim]intervals: the {level_label(level)} mean band across {n_ref} bootstrap refits (where "
                      "the law's mean puts each number); the run row is the prediction band (refits + run-to-run "
                      "scatter): where one training run's loss would fall.[/]" if n_ref else
                      f"[dim]interval: the {level_label(level)} prediction band of one run's loss (run-to-run "
                      "scatter; no bootstrap refits, so no mean band).[/]")
    if plan.reference:
        ref = plan.reference
        console.print(f"[dim]reference ({escape(str(ref['what']))}):[/] " + escape(", ".join(
            f"{k.replace('_', ' ')} {_fmt_ref(k, v)}" for k, v in ref.items() if k not in _SAID_BY_HELD)))
    if plan.hold:
        console.print(_held(plan, extra.get("budget")))
    if plan.hyperparams:
        _print_hyperparams(plan.hyperparams)
    _print_resources(plan)
    if "config" in extra:
        cfg = extra["config"]
        console.print(f"[dim]from config file {escape(cfg['path'])}: " + escape(", ".join(
            f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in cfg["used"].items())) + "[/]")
    if "sweep" in extra:
        _print_sweep(plan, extra["sweep"], extra["example"])
    for note in plan.notes:
        console.print(f"[dim]note: {escape(note)}[/]")


#: reference keys the "held" line states (and "what", the reference's title): not repeated in the reference line
_SAID_BY_HELD = ("what", "flops_added", "fraction_flops_added", "loss_given_up")


def _plan_table(plan: Plan) -> Table:
    """The planned quantities, with an interval column when the plan carries intervals."""
    stamp = f"[bold red]{escape(plan.stamp)}[/] — " if plan.stamp else ""
    held = f", {plan.hold} held" if plan.hold else ""
    t = Table(title=f"{stamp}Plan ({plan.question}{held}) under law {escape(plan.law)}", show_header=True)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    if plan.intervals:
        level = next(iter(plan.intervals.values())).level
        t.add_column(f"{level_label(level)} interval", justify="right")
    rows = [("parameters N", format_si(plan.n_params), _interval(plan, "n_params")),
            ("tokens D", format_si(plan.n_tokens), _interval(plan, "n_tokens")),
            ("tokens / parameter", f"{plan.tokens_per_param:.4g}", _interval(plan, "tokens_per_param")),
            ("training compute (FLOPs)", f"{plan.flops:.3g}", _interval(plan, "flops")),
            ("predicted loss (mean curve)", f"{plan.loss:.4f}", _interval(plan, "loss"))]
    if "loss_new_run" in plan.intervals:
        rows.append(("loss of a run trained so", f"{plan.loss:.4f}", _interval(plan, "loss_new_run")))
    if plan.epochs is not None:
        rows += [("unique tokens", format_si(plan.unique_tokens), ""), ("epochs", f"{plan.epochs:.3g}", ""),
                 ("effective tokens D'", format_si(plan.effective_tokens), ""),
                 ("effective params N'", format_si(plan.effective_params), "")]
    if plan.inference_tokens is not None:
        rows += [("inference tokens", format_si(plan.inference_tokens), ""),
                 ("inference FLOPs", f"{plan.inference_flops:.3g}", ""),
                 ("training + inference FLOPs", f"{plan.total_flops:.3g}", _interval(plan, "total_flops"))]
    for r in rows:
        t.add_row(*(r if plan.intervals else r[:2]))
    return t


def _print_resources(plan: Plan) -> None:
    """The cost and memory lines of a plan with hardware (:func:`~scalinglab.plan.with_hardware`)."""
    c = plan.cost
    if c:
        console.print(
            f"[bold]cost[/] on {c['n_gpus']} × {escape(c['gpu'])} at MFU {c['mfu']:.2f}: "
            f"{format_si(c['gpu_hours'])} GPU-hours, {c['wall_hours'] / 24:.3g} days wall, "
            f"${format_si(c['usd'])} at ${c['usd_per_hour']:.2f}/GPU-h, {format_si(c['energy_kwh'])} kWh"
        )
    m = plan.memory
    if m:
        tr, inf = m["training"], m["inference"]
        console.print(
            f"[bold]memory[/] training {tr['per_gpu'] / 1e9:.3g} GB per GPU "
            f"({'fits' if tr['fits'] else 'does not fit'}; smallest power-of-two count that fits: "
            f"{m['min_gpus_to_train'] or f'none up to {MAX_GPUS_SEARCHED:,} (2^20)'}), inference {inf['total'] / 1e9:.3g} GB "
            f"(weights + KV cache, {'fits' if inf['fits'] else 'does not fit'} on one GPU)"
        )


def _held(plan: Plan, budget: dict[str, Any] | None) -> str:
    """What an inference plan holds fixed, and what moves instead: the training compute added (loss held) or
    the loss given up (compute held), against the compute-optimal model."""
    ref = plan.reference or {}
    if plan.hold == "compute":
        return (f"[bold]held: compute[/] — training + inference at the budget of {ref['flops']:.3g} FLOPs "
                f"({plan.flops:.3g} training + {plan.inference_flops:.3g} inference); the loss {plan.loss:.4f} gives "
                f"up {ref['loss_given_up']:.4f} against the compute-optimal model of the budget ({ref['loss']:.4f}, "
                "which ignores inference).")
    if budget is not None:
        return (f"[bold]held: loss[/] {plan.loss:.4f}, the compute-optimal model's at the budget of "
                f"{budget['flops']:.3g} FLOPs; training compute {plan.flops:.3g} FLOPs adds "
                f"{ref['flops_added']:.3g} ({100 * ref['fraction_flops_added']:.1f}%) to the budget. "
                "--hold compute keeps training + inference at the budget instead.")
    return (f"[bold]held: loss[/] {plan.loss:.4f} (--target-loss); training compute {plan.flops:.3g} FLOPs adds "
            f"{ref['flops_added']:.3g} ({100 * ref['fraction_flops_added']:.1f}%) to the compute-optimal model of "
            "that loss.")


def _print_sweep(plan: Plan, sweep: list[dict[str, Any]], ex: dict[str, Any]) -> None:
    """How the inference-aware optimum moves with lifetime demand (holding what the plan holds), and the
    demand that makes ``ex`` optimal."""
    by_compute = plan.hold == "compute"
    s = Table(title="Optimum vs lifetime inference demand ("
              + (f"same training + inference compute, {sweep[0]['total_flops']:.3g} FLOPs)" if by_compute
                 else f"same loss, {plan.loss:.4f})"))
    last = ("loss", "loss given up") if by_compute else ("saved vs compute-optimal",)
    for col in ("inference tokens", "N", "D", "tokens/param", *last):
        s.add_column(col, justify="right")
    for row in sweep:
        tail = ((f"{row['loss']:.4f}", f"{row['loss_given_up']:.4f}") if by_compute
                else (f"{100 * max(row['fraction_saved'], 0.0):.1f}%",))
        s.add_row(format_si(row["inference_tokens"]), format_si(row["n_params"]), format_si(row["n_tokens"]),
                  f"{row['tokens_per_param']:.4g}", *tail)
    console.print(s)
    if ex["implied_inference_tokens"]:
        console.print(f"[dim]{escape(ex['model'])} ({format_si(ex['n_params'])} on {format_si(ex['n_tokens'])} tokens, "
                      f"{ex['tokens_per_param']:,.0f}:1) is the optimal recipe at its own loss if it serves "
                      f"≈{format_si(ex['implied_inference_tokens'])} tokens in its lifetime.[/]")


def _print_hyperparams(hp: dict[str, Any]) -> None:
    """The learning rate and batch size of a plan's hyperparameter rule, with its band, inputs and limits."""
    level = hp["level"]
    banded = hp["learning_rate_interval"] is not None or hp["batch_tokens_interval"] is not None
    t = Table(title=f"Learning rate and batch size under rule {escape(hp['rule'])}", show_header=True)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    if banded:
        t.add_column(f"{level_label(level)} interval", justify="right")

    def iv(pair: Any, fmt: str) -> str:
        return "" if pair is None else f"[{format(pair[0], fmt)}, {format(pair[1], fmt)}]"

    rows = [("peak learning rate", f"{hp['learning_rate']:.3e}", iv(hp["learning_rate_interval"], ".3e")),
            ("batch (tokens per step)", format_si(hp["batch_tokens"]), "" if hp["batch_tokens_interval"] is None else
             f"[{format_si(hp['batch_tokens_interval'][0])}, {format_si(hp['batch_tokens_interval'][1])}]")]
    if hp["context"] is not None:
        rows.append((f"batch (sequences of {hp['context']:,} tokens)", f"{hp['batch_sequences']:,.0f}",
                     iv(hp["batch_sequences_interval"], ",.0f")))
    for row in rows:
        t.add_row(*(row if banded else row[:2]))
    console.print(t)
    band = "no interval: the rule has no published uncertainty" if hp["band"] == "none" else f"interval: {hp['band']}"
    console.print(f"[dim]rule inputs: {escape(hp['inputs_note'])}. {escape(band)}.[/]", highlight=False,
                  soft_wrap=True)
    if hp["outside"]:
        console.print(f"[dim]extrapolated: {escape('; '.join(hp['outside']))}.[/]", highlight=False, soft_wrap=True)
