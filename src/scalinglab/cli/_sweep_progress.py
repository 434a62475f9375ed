"""Progress of a sweep while it trains: rich bars in a terminal, plain lines anywhere else.

A rich progress display is transient and drawn only on a terminal, so ``scalinglab demo > log 2>&1`` used to
print nothing for the minutes the sweep took. Outside a terminal :class:`PlainSweepProgress` writes plain
lines instead (no ANSI codes): one when the sweep starts, one per finished or failed run, and one at most
every :data:`PLAIN_EVERY_S` seconds while runs train.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..lab.config import TrainConfig
from ..lab.executors import SweepEvent
from ..lab.sweep import estimate_seconds

#: fewest seconds between two periodic plain lines (a finished run prints its line at once)
PLAIN_EVERY_S = 30.0


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def config_of(run: dict[str, Any]) -> TrainConfig:
    return TrainConfig.from_dict(run["config"])


class SweepTally:
    """Runs of the sweep done, failed and left, and an ETA from the throughput model, rescaled by how long
    the runs finished in this call really took against their estimates."""

    def __init__(self, store_runs: list[dict[str, Any]], workers: int) -> None:
        self.workers, self.total = workers, len(store_runs)
        self.est = {r["run_hash"]: estimate_seconds(config_of(r)) for r in store_runs}
        self.left = {r["run_hash"] for r in store_runs if r["status"] in ("pending", "running")}
        self.done = sum(r["status"] == "done" for r in store_runs)
        self.failed = sum(r["status"] == "failed" for r in store_runs)
        self.started: dict[str, float] = {}
        self.scale = [0.0, 0.0]  # measured / estimated seconds of runs finished here
        self.t0 = time.monotonic()

    def update(self, ev: SweepEvent) -> None:
        if ev.kind == "start":
            self.started[ev.run_hash] = time.monotonic()
        elif ev.kind in ("done", "failed", "released", "unrecorded"):
            self.left.discard(ev.run_hash)
            if ev.kind == "done":
                self.done += 1
                if ev.run_hash in self.started:
                    self.scale[0] += self.seconds(ev.run_hash)
                    self.scale[1] += self.est.get(ev.run_hash, 0.0)
            elif ev.kind == "failed":
                self.failed += 1

    def seconds(self, run_hash: str) -> float:
        """Seconds since ``run_hash`` started here."""
        return time.monotonic() - self.started.get(run_hash, time.monotonic())

    def eta(self) -> float:
        factor = self.scale[0] / self.scale[1] if self.scale[1] > 0 else 1.0
        return factor * sum(self.est.get(h, 0.0) for h in self.left) / self.workers


class RichSweepProgress:
    """Rich bars: runs done/total with an ETA, and each worker's current run (for a terminal)."""

    COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[info]}"))

    def __init__(self, console: Console, tally: SweepTally) -> None:
        self.progress = Progress(*self.COLUMNS, console=console, transient=True)
        self.tally = tally
        self.overall = self.progress.add_task("runs", total=tally.total, completed=tally.total - len(tally.left),
                                              info="")
        self.rows: dict[str, TaskID] = {}

    def __enter__(self) -> RichSweepProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, ev: SweepEvent) -> None:
        p, tally = self.progress, self.tally
        tally.update(ev)
        if ev.kind == "start":
            task = self.rows.get(ev.worker)
            text = escape(f"  {ev.worker.rsplit(':', 1)[-1]} N={ev.n_params:,} D={ev.n_tokens:,}")
            if task is None:
                self.rows[ev.worker] = p.add_task(text, total=ev.total_steps or 1, info="")
            else:
                p.reset(task, total=ev.total_steps or 1, description=text, info="")
        elif ev.kind == "progress" and ev.worker in self.rows:
            p.update(self.rows[ev.worker], completed=ev.step, total=ev.total_steps,
                     info=f"loss {ev.loss:.3f} · {ev.tokens_per_s:,.0f} tok/s")
        elif ev.kind in ("done", "failed"):
            p.advance(self.overall)
        p.update(self.overall, info=f"ETA ~{minutes(tally.eta())}" if tally.left else "")


class PlainSweepProgress:
    """Plain lines on ``console`` (a file or a pipe): the sweep's start, each run finished or failed, and
    at most one line every ``every_s`` seconds with each worker's step and loss."""

    def __init__(self, console: Console, tally: SweepTally, sweep: str, every_s: float | None = None) -> None:
        self.console, self.tally, self.sweep = console, tally, sweep
        self.every_s = PLAIN_EVERY_S if every_s is None else every_s
        self.steps: dict[str, str] = {}  # worker -> "step 120/400 loss 4.312"
        self.last = time.monotonic()

    def __enter__(self) -> PlainSweepProgress:
        t = self.tally
        if t.left:
            self._line(f"{len(t.left)} of {t.total} runs to train with {t.workers} worker(s), estimated "
                       f"~{minutes(t.eta())}; a line per finished run and every {self.every_s:.0f} s")
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __call__(self, ev: SweepEvent) -> None:
        self.tally.update(ev)
        name = ev.worker.rsplit(":", 1)[-1]
        if ev.kind == "start":
            self.steps[name] = f"N={ev.n_params:,} D={ev.n_tokens:,} starting"
        elif ev.kind == "progress":
            self.steps[name] = f"step {ev.step}/{ev.total_steps} loss {ev.loss:.3f}"
            if time.monotonic() - self.last >= self.every_s:
                self._line(" · ".join(f"{w} {s}" for w, s in sorted(self.steps.items())))
        elif ev.kind == "done":
            self.steps.pop(name, None)
            self._line(f"run {ev.run_hash} done: N={ev.n_params:,} D={ev.n_tokens:,} loss {ev.loss:.4f} in "
                       f"{minutes(self.tally.seconds(ev.run_hash))}")
        elif ev.kind == "failed":
            self.steps.pop(name, None)
            self._line(f"run {ev.run_hash} failed: {ev.message}")

    def _line(self, what: str) -> None:
        t = self.tally
        failed = f", {t.failed} failed" if t.failed else ""
        eta = f", ETA ~{minutes(t.eta())}" if t.left and t.done + t.failed else ""
        self.console.print(escape(f"sweep {self.sweep!r}: {t.done}/{t.total} runs done{failed}, "
                                  f"{minutes(time.monotonic() - t.t0)} elapsed{eta} · {what}"),
                           highlight=False, soft_wrap=True)
        self.last = time.monotonic()


def sweep_progress(console: Console, store_runs: list[dict[str, Any]], workers: int,
                   sweep: str) -> RichSweepProgress | PlainSweepProgress:
    """The progress display for ``console``: rich bars on a terminal, plain lines elsewhere."""
    tally = SweepTally(store_runs, workers)
    return RichSweepProgress(console, tally) if console.is_terminal else PlainSweepProgress(console, tally, sweep)
