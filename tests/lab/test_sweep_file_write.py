"""lab._sweep_file.sweep_file_text: what it writes, read_sweep_file reads back as the same configs."""

from __future__ import annotations

from scalinglab.lab._sweep_file import read_sweep_file, sweep_file_text
from scalinglab.lab.sweep import planned_run


def test_written_sweep_reads_back_as_the_same_configs(tmp_path):
    name = 'next "runs"'
    runs = [planned_run(2e4, 5e6, tag=name).config,
            planned_run(3e5, 2e5, tag=name, schedule="wsd", decay_frac=0.3, lr=2.5e-3).config]
    path = tmp_path / "s.toml"
    path.write_text(sweep_file_text(name, [(cfg, f"run {i}") for i, cfg in enumerate(runs)], "header\nline 2"))
    got_name, got = read_sweep_file(path)
    assert got_name == name
    assert [cfg for cfg, _, _ in got] == runs
    assert runs[1].batch_size < 32  # halved so that the short run has its 50 steps, and written out
