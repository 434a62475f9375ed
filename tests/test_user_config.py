"""The user's config file: where it is, what it may hold, and flag > file > built-in default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scalinglab.config import Config, config_path, load_config
from scalinglab.errors import ConfigError
from scalinglab.hardware import get_gpu

FILE = """
[defaults]
mfu = 0.45
gpus = 8

[gpus.H100-SXM]
usd_per_hour = 2.1
"""

CUSTOM = """
[defaults]
gpu = "tpu-x"

[gpus.tpu-x]
label = "In-house X"
peak_tflops = 500
memory_gb = 96
power_w = 600
usd_per_hour = 1.5
"""


@pytest.fixture
def config(tmp_path, monkeypatch):
    """``config(text)`` writes ``text`` to a file that SCALINGLAB_CONFIG names, and returns its path."""

    def write(text: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("SCALINGLAB_CONFIG", str(path))
        return path

    return write


def test_location_follows_the_env_var_then_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path({"SCALINGLAB_CONFIG": "/etc/sl.toml", "XDG_CONFIG_HOME": "/x"}) == Path("/etc/sl.toml")
    assert config_path({"SCALINGLAB_CONFIG": "", "XDG_CONFIG_HOME": "/x"}) == Path("/x/scalinglab/config.toml")
    assert config_path({"XDG_CONFIG_HOME": "relative/dir"}) == tmp_path / ".config/scalinglab/config.toml"
    assert config_path({}) == tmp_path / ".config/scalinglab/config.toml"


def test_no_file_at_the_default_location_is_an_empty_config_but_a_named_missing_file_is_refused(tmp_path,
                                                                                                  monkeypatch):
    monkeypatch.delenv("SCALINGLAB_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_config() == Config()
    monkeypatch.setenv("SCALINGLAB_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope.toml must exist \(named by \$SCALINGLAB_CONFIG\). Got no such"):
        load_config()


def test_file_values_apply_and_flags_win(config):
    path = config(FILE)
    cfg = load_config()
    assert cfg.path == path and (cfg.mfu, cfg.gpus, cfg.gpu) == (0.45, 8, None)
    hw = cfg.resolve()
    assert (hw.gpu.name, hw.n_gpus, hw.mfu, hw.gpu.usd_per_hour) == ("H100-SXM", 8, 0.45, 2.1)
    assert hw.gpu.price_source.startswith("config file") and not hw.gpu.price_estimated
    assert hw.from_file == {"gpus": 8, "gpus.H100-SXM.usd_per_hour": 2.1, "mfu": 0.45}
    hw = cfg.resolve(n_gpus=2, mfu=0.3, usd_per_hour=3.0, peak_tflops=500.0)
    assert (hw.n_gpus, hw.mfu, hw.gpu.usd_per_hour, hw.gpu.peak_flops) == (2, 0.3, 3.0, 5e14)
    assert hw.from_file == {} and hw.gpu.price_source == "user override"
    # another GPU: the file's H100 price does not follow it, its built-in figures do
    hw = cfg.resolve(gpu="A100")
    assert hw.gpu == get_gpu("A100") and "gpus.H100-SXM.usd_per_hour" not in hw.from_file
    assert Config().resolve() == type(hw)(get_gpu("H100-SXM"), 1, 0.4, {}, None)


def test_custom_gpu(config):
    config(CUSTOM)
    hw = load_config().resolve()
    g = hw.gpu
    assert (g.name, g.label, g.peak_flops, g.memory_gb, g.power_w, g.usd_per_hour) == (
        "tpu-x", "In-house X", 5e14, 96.0, 600.0, 1.5)
    assert hw.from_file["gpu"] == "tpu-x" and hw.from_file["gpus.tpu-x.peak_tflops"] == 500
    assert load_config().get_gpu("TPU X") == g  # names match as the catalogue's do: case and punctuation aside


@pytest.mark.parametrize("text, key, rule, got", [
    ("[defaults]\nmfu = 1.5\n", "defaults.mfu", "in (0, 1]", "1.5"),
    ("[defaults]\nmfu = true\n", "defaults.mfu", "a finite number > 0", "True"),
    ("[defaults]\nmfu = nan\n", "defaults.mfu", "a finite number > 0", "nan"),
    ("[defaults]\ngpus = 0\n", "defaults.gpus", "a whole number from 1 to 16,777,216", "0"),
    ("[defaults]\ngpus = 2.5\n", "defaults.gpus", "a whole number from 1 to 16,777,216", "2.5"),
    ("[defaults]\ngpu = \"X100\"\n", "defaults.gpu", "a catalogue GPU (H100-SXM,", "'X100'"),
    ("[defaults]\ngpu = 3\n", "defaults.gpu", "a GPU name (a string)", "3"),
    ("[defaults]\nmfuu = 0.4\n", "defaults.mfuu", "one of gpu, gpus, mfu (a known key)", "'mfuu'"),
    ("[default]\nmfu = 0.4\n", "default", "one of defaults, gpus (a known key)", "'default'"),
    ("defaults = 3\n", "defaults", "a table", "3"),
    ("[gpus.H100-SXM]\nusd_per_hour = -1\n", "gpus.H100-SXM.usd_per_hour", "a finite number >= 0", "-1"),
    ("[gpus.H100-SXM]\npeak_tflops = 0\n", "gpus.H100-SXM.peak_tflops", "a finite number > 0", "0"),
    ("[gpus.H100-SXM]\nprice = 2\n", "gpus.H100-SXM.price", "one of usd_per_hour, peak_tflops, memory_gb, "
                                                           "power_w (a catalogue GPU's keys)", "'price'"),
    ("[gpus.H10O]\nusd_per_hour = 2\n", "gpus.H10O", "a catalogue GPU (H100-SXM", "'H10O'"),
    ("[gpus.h100]\nusd_per_hour = 2\n[gpus.H100-SXM]\nusd_per_hour = 3\n", "gpus.H100-SXM",
     "given once (it names the same GPU as 'gpus.h100')", "'H100-SXM'"),
    (CUSTOM + CUSTOM.split("\n", 4)[4].replace("tpu-x", "TPU_X"), "gpus.TPU_X",
     "given once (it names the same GPU as 'gpus.tpu-x')", "'TPU_X'"),
    ("[gpus.x]\nlabel = 1\npeak_tflops = 1\nmemory_gb = 1\npower_w = 1\nusd_per_hour = 1\n", "gpus.x.label",
     "a non-empty string", "1"),
])
def test_every_bad_key_or_value_is_one_line_naming_file_key_rule_and_value(config, run, text, key, rule, got):
    path = config(text)
    with pytest.raises(ConfigError) as exc:
        load_config()
    msg = str(exc.value)
    assert msg.startswith(f"The config file {path}: key {key!r} must be ") and rule in msg
    assert msg.endswith(f"Got {got}.") and "\n" not in msg
    code, _, err = run("plan", "--flops", "1e22")
    assert code == 1 and len(err.strip().splitlines()) == 1 and key in err and "Traceback" not in err


@pytest.mark.parametrize("content, fragment", [
    (b"[defaults\nmfu = 0.4\n", "must be valid UTF-8 TOML. Got: Expected ']'"),
    (b"\xff\xfe[defaults]", "must be valid UTF-8 TOML"),
])
def test_unreadable_file_is_one_line(config, run, content, fragment):
    path = config("")
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=f"^The config file {path} {fragment}"):
        load_config()
    code, _, err = run("plan", "--flops", "1e22")
    assert code == 1 and len(err.strip().splitlines()) == 1


# --- the CLI -------------------------------------------------------------------------------------------------

def test_plan_takes_the_file_and_says_so(config, run):
    path = config(FILE)
    code, out, err = run("plan", "--flops", "1e22", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert (d["cost"]["n_gpus"], d["cost"]["mfu"], d["cost"]["usd_per_hour"]) == (8, 0.45, 2.1)
    assert d["cost"]["gpu_hours"] == pytest.approx(1e22 / (9.894e14 * 0.45) / 3600, rel=1e-12)
    assert d["config"] == {"path": str(path), "used": {"gpus": 8, "gpus.H100-SXM.usd_per_hour": 2.1, "mfu": 0.45}}
    _, out, _ = run("plan", "--flops", "1e22")
    # rich wraps a long temporary path anywhere (even mid-word): compare without whitespace
    said = f"from config file {path}: gpus 8, gpus.H100-SXM.usd_per_hour 2.1, mfu 0.45"
    assert "".join(said.split()) in "".join(out.split())


def test_plan_flags_beat_the_file(config, run):
    config(FILE)
    _, out, _ = run("plan", "--flops", "1e22", "--gpus", "2", "--mfu", "0.3", "--usd-per-hour", "3", "--json")
    d = json.loads(out)
    assert (d["cost"]["n_gpus"], d["cost"]["mfu"], d["cost"]["usd_per_hour"]) == (2, 0.3, 3.0)
    assert "config" not in d
    _, text, _ = run("plan", "--flops", "1e22", "--gpus", "2", "--mfu", "0.3", "--usd-per-hour", "3")
    assert "from config file" not in text


def test_days_budget_uses_the_file_hardware(config, run):
    config(CUSTOM + "\n")
    _, out, _ = run("plan", "--days", "10", "--json")
    d = json.loads(out)
    assert d["budget"]["flops"] == pytest.approx(1 * 5e14 * 0.4 * 10 * 86400, rel=1e-12)
    assert d["budget"]["gpu"] == "tpu-x" and d["cost"]["gpu"] == "tpu-x" and d["cost"]["usd_per_hour"] == 1.5


def test_gpus_lists_the_file_figures_and_custom_gpus(config, run):
    path = config(FILE + CUSTOM.replace("[defaults]\ngpu = \"tpu-x\"\n", ""))
    code, out, err = run("gpus", "--json")
    assert code == 0, err
    rows = {g["name"]: g for g in json.loads(out)}
    assert rows["H100-SXM"]["usd_per_hour"] == 2.1 and rows["H100-SXM"]["from_config"] == {
        "gpus.H100-SXM.usd_per_hour": 2.1}
    assert rows["A100-80GB"]["from_config"] == {} and rows["tpu-x"]["peak_flops"] == 5e14
    _, out, _ = run("gpus")
    flat = " ".join(out.split())
    assert "2.10†" in flat and "3.62" not in flat and "500† │ 96† │ 600† │ 1.50†" in flat
    assert "".join(f"† from the config file {path}.".split()) in "".join(out.split())  # a long path wraps anywhere
