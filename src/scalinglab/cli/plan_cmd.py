"""``scalinglab plan``: from a budget, a size, a target loss, a demand or a data limit to a recipe."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..catalog import get_model
from .._validate import check_choice
from ..errors import ConfigError
from ..cost import flops_in_days
from ..config import load_config, shown
from ..hardware import GPU
from ..plan import (
    Plan,
    implied_inference_tokens,
    inference_sweep,
    plan_compute,
    plan_inference,
    plan_params,
    plan_target_loss,
    plan_unique_tokens,
)
from ..plan.hyperparams import with_hyperparams
from ..plan.inference import SWEEP_TOKENS
from ..plan.optimal import check_budget, resolve_plan_law
from ..plan.resources import MAX_GPUS, with_hardware
from . import app
from ._plan_render import render
from ._common import FLOPS_HELP, one_budget, print_json, quantity, renamed, whole


def _opt(name: str, help: str, *flags: str, allow_zero: bool = False) -> Any:
    return typer.Option(*flags, parser=quantity(name, allow_zero=allow_zero), metavar="NUM", help=help)



def _question(compute, params, target_loss, inference_tokens, unique_tokens, tokens_per_param, law,
              objective, mfu, inference_mfu, hold, allow: bool = False, flag: str = "--flops") -> Plan:
    """The plan that answers the one question asked; ``flag`` names where the budget ``compute`` came from."""
    if inference_tokens is not None:
        if unique_tokens is not None or params is not None:
            raise ConfigError("The '--inference-tokens' option combines with --target-loss, --flops or --days only.")
        return plan_inference(inference_tokens, target_loss=target_loss, flops=compute, hold=hold, law=law,
                              objective=objective, train_mfu=mfu, inference_mfu=inference_mfu,
                              allow_unidentified=allow)
    if unique_tokens is not None:
        if compute is None:
            raise ConfigError("The '--unique-tokens' option needs '--flops' or '--days' (the compute budget to "
                              "spend). Got neither.")
        return plan_unique_tokens(unique_tokens, flops=compute, n_params=params,
                                  law=law if law is not None else "muennighoff2023", allow_unidentified=allow)
    given = [f for f, v in ((flag, compute), ("--params", params), ("--target-loss", target_loss))
             if v is not None]
    if len(given) != 1:
        raise ConfigError(
            "The plan needs exactly one of --flops (or --days), --params, --target-loss, --inference-tokens, "
            f"--unique-tokens. Got {', '.join(given) if given else 'none'}."
        )
    if tokens_per_param is not None and params is None:
        raise ConfigError("The '--tokens-per-param' option applies to '--params' plans only.")
    if compute is not None:
        return plan_compute(compute, law=law, allow_unidentified=allow)
    if params is not None:
        return plan_params(params, tokens_per_param=tokens_per_param, law=law, allow_unidentified=allow)
    return plan_target_loss(target_loss, law=law, allow_unidentified=allow)


@app.command("plan")
def plan_cmd(
    flops: Annotated[float | None, _opt("flops", FLOPS_HELP, "--flops")] = None,
    compute: Annotated[float | None, renamed("--compute", "--flops")] = None,
    params: Annotated[float | None, _opt("params", "Fixed model size (e.g. 7B).", "--params")] = None,
    tokens_per_param: Annotated[float | None, _opt("tokens_per_param", "Tokens per parameter for --params "
                                                   "(default: compute-optimal).", "--tokens-per-param")] = None,
    target_loss: Annotated[float | None, typer.Option("--target-loss", help="Loss to reach (nats/token).")] = None,
    inference_tokens: Annotated[float | None, _opt("inference_tokens", "Lifetime inference tokens (Sardana et "
                                                   "al. 2024); with --target-loss, --flops or --days.",
                                                   "--inference-tokens", allow_zero=True)] = None,
    unique_tokens: Annotated[float | None, _opt("unique_tokens", "Unique tokens available (Muennighoff et al. "
                                                "2023); with --flops or --days.", "--unique-tokens")] = None,
    days: Annotated[float | None, _opt("days", "Training time in days, as the budget instead of --flops: "
                                       "C = --gpus × the GPU's peak FLOP/s × --mfu × days × 86,400 s.",
                                       "--days")] = None,
    law: Annotated[str | None, typer.Option("--law", help="Law name or fitted-law .json (default epoch2024).")] = None,
    gpu: Annotated[str | None, typer.Option("--gpu", help="GPU model (`scalinglab gpus`; default: the config "
                                            "file's, else H100-SXM).")] = None,
    gpus: Annotated[int | None, typer.Option("--gpus", parser=whole("--gpus", minimum=1, maximum=MAX_GPUS),
                                             metavar="N", help="Number of GPUs (default: the config file's, "
                                                               "else 1).")] = None,
    mfu: Annotated[float | None, typer.Option("--mfu", help="Model FLOPs utilisation in (0, 1] (default: the "
                                                            "config file's, else 0.4).")] = None,
    usd_per_hour: Annotated[float | None, typer.Option("--usd-per-hour", help="Price per GPU-hour "
                                                       "(default: the config file's, else the catalogue's).")] = None,
    peak_tflops: Annotated[float | None, typer.Option("--peak-tflops", help="Override the GPU's peak dense "
                                                      "TFLOP/s.")] = None,
    gpu_memory_gb: Annotated[float | None, typer.Option("--gpu-memory-gb", help="Override the GPU's memory.")] = None,
    gpu_power_w: Annotated[float | None, typer.Option("--gpu-power-w", help="Override the GPU's board power.")] = None,
    hold: Annotated[str | None, typer.Option("--hold", help="Inference plans with a budget (--flops or --days): "
                                             "hold the 'loss' of the budget's compute-optimal model (default; "
                                             "training compute rises above the budget) or the 'compute' (training "
                                             "+ inference = the budget; the loss rises).")] = None,
    objective: Annotated[str | None, typer.Option("--objective", help="Inference plans: minimise 'flops' "
                                                  "(default) or 'usd'.")] = None,
    inference_mfu: Annotated[float | None, typer.Option("--inference-mfu", help="MFU while serving "
                                                        "(with --objective usd).")] = None,
    hp_rule: Annotated[str, typer.Option("--hp-rule", metavar="RULE", help="Rule for the learning rate and batch "
                                         "size: step-law (default), deepseek-llm (`scalinglab laws`), a rule file "
                                         "from `scalinglab fit-hparams`, or none.")] = "step-law",
    context: Annotated[int | None, typer.Option("--context", parser=whole("--context", minimum=1, maximum=1 << 24),
                                                metavar="TOKENS", help="Tokens per sequence, to count the batch in "
                                                "sequences (default: the rule's own, 2,048 for step-law, 4,096 for "
                                                "deepseek-llm).")] = None,
    allow_unidentified: Annotated[bool, typer.Option("--allow-unidentified", help="Plan from a fitted law its "
                                                     "runs do not identify; every output is stamped NOT "
                                                     "IDENTIFIED.")] = False,
    downstream: Annotated[str | None, typer.Option("--downstream", help="A downstream fit (`scalinglab downstream "
                                                   "fit -o`): add each task's predicted score at the planned N, "
                                                   "D.")] = None,
    task: Annotated[list[str] | None, typer.Option("--task", help="With --downstream: only these tasks "
                                                   "(comma-separated or repeated).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Plan a training run. Exactly one question: --flops (or --days on --gpus), --params, --target-loss,
    --inference-tokens (with --target-loss or a budget) or --unique-tokens (with a budget).

    Defaults of --gpu, --gpus, --mfu and each GPU's price and figures come from the config file when it sets
    them: the file $SCALINGLAB_CONFIG names, else scalinglab/config.toml under $XDG_CONFIG_HOME or ~/.config."""
    flops = one_budget(flops, compute, "--compute")
    hw = load_config().resolve(gpu=gpu, n_gpus=gpus, mfu=mfu, usd_per_hour=usd_per_hour, peak_tflops=peak_tflops,
                               memory_gb=gpu_memory_gb, power_w=gpu_power_w)
    mfu = hw.mfu
    budget = _budget(flops, days, hw.gpu, hw.n_gpus, mfu)
    flops = None if budget is None else budget["flops"]
    flag = "--days" if days is not None else "--flops"
    _check_inference_options(inference_tokens, objective, inference_mfu, hold, target_loss)
    if flops is not None and params is None and target_loss is None:
        # a budget too small for the law: one line naming the flag and the smallest budget (as plan_compute does)
        budget_law = law if law is not None or unique_tokens is None else "muennighoff2023"
        check_budget(resolve_plan_law(budget_law, allow_unidentified=True)[0], flops, name=f"The '{flag}' budget",
                     got=None if days is None else f"{days:g} days = {flops:.3g} FLOPs")
    plan = _question(flops, params, target_loss, inference_tokens, unique_tokens, tokens_per_param, law,
                     objective or "flops", mfu, inference_mfu, hold or "loss", allow_unidentified, flag)
    _check_size(plan)
    plan = with_hardware(plan, hw.gpu, n_gpus=hw.n_gpus, mfu=mfu)
    if hp_rule != "none":
        plan = with_hyperparams(plan, hp_rule, context=context)
    elif context is not None:
        raise ConfigError(f"The '--context' option counts the batch of a hyperparameter rule in sequences; it has no "
                          f"use with --hp-rule none. Got --context {context}.")
    extra: dict[str, Any] = {}
    if hw.from_file:
        extra["config"] = {"path": shown(hw.path), "used": hw.from_file}
    if budget is not None and params is None and target_loss is None:
        extra["budget"] = budget
    if plan.question == "inference":
        # the same question as the plan at each demand: same quality or budget, same hold and objective
        sweep = inference_sweep(list(SWEEP_TOKENS), target_loss=target_loss, flops=flops, hold=plan.hold or "loss",
                                law=law, objective=objective or "flops", train_mfu=mfu, inference_mfu=inference_mfu,
                                allow_unidentified=allow_unidentified)
        extra["sweep"] = [{"inference_tokens": p.inference_tokens, "n_params": p.n_params, "n_tokens": p.n_tokens,
                           "tokens_per_param": p.tokens_per_param, "loss": p.loss, "total_flops": p.total_flops,
                           **{k: p.reference[k] for k in ("fraction_saved", "loss_given_up") if k in p.reference}}
                          for p in sweep]
        smol = get_model("SmolLM3")
        extra["example"] = {"model": smol.name, "n_params": smol.n_params, "n_tokens": smol.n_tokens,
                            "tokens_per_param": smol.tokens_per_param,
                            "implied_inference_tokens": implied_inference_tokens(smol.n_params, smol.n_tokens,
                                                                                 law=law)}
    if task and downstream is None:
        raise ConfigError("The '--task' option picks tasks of a --downstream fit. Got --task without --downstream.")
    if downstream is not None:
        from ._plan_downstream import downstream_scores

        extra["downstream"] = downstream_scores(downstream, [t.strip() for i in task or [] for t in i.split(",")
                                                             if t.strip()], plan)
    if json:
        print_json({**plan.as_dict(), **extra})
        return
    render(plan, extra)
    if downstream is not None:
        from ._plan_downstream import render_scores

        render_scores(extra["downstream"])


def _budget(flops: float | None, days: float | None, gpu: GPU, n_gpus: int, mfu: float) -> dict[str, Any] | None:
    """The compute budget and where it comes from: --flops, or --days on the GPUs at the MFU."""
    if days is None:
        return None if flops is None else {"flops": flops, "source": "--flops"}
    if flops is not None:
        raise ConfigError(f"Give the compute budget once: --flops ({flops:g}) or --days ({days:g} days on the GPUs). "
                          "Got both.")
    return {"flops": flops_in_days(gpu, n_gpus=n_gpus, days=days, mfu=mfu), "source": "--days", "days": days,
            "n_gpus": n_gpus, "gpu": gpu.name, "peak_flops": gpu.peak_flops, "mfu": mfu}


def _check_inference_options(inference_tokens: float | None, objective: str | None,
                             inference_mfu: float | None, hold: str | None, target_loss: float | None) -> None:
    """--objective, --hold and --inference-mfu shape inference plans only (--inference-mfu: with --objective usd;
    --hold compute: with a budget, not --target-loss)."""
    if hold is not None:
        check_choice("hold", hold, ("loss", "compute"))
        if inference_tokens is None:
            raise ConfigError(f"The '--hold' option chooses what an inference plan holds; it needs --inference-tokens. "
                              f"Got --hold {hold} without it.")
        if hold == "compute" and target_loss is not None:
            raise ConfigError(f"The '--hold compute' option holds a compute budget (--flops); a --target-loss plan "
                              f"holds the loss. Got --hold compute with --target-loss {target_loss:g}.")
    if objective is not None:
        check_choice("objective", objective, ("flops", "usd"))
        if inference_tokens is None:
            raise ConfigError(f"The '--objective' option chooses what an inference plan minimises; it needs "
                              f"--inference-tokens. Got --objective {objective} without it.")
    if inference_mfu is not None and objective != "usd":
        raise ConfigError(f"The '--inference-mfu' option weighs serving time in an inference plan; it needs "
                          f"--inference-tokens and --objective usd. Got --inference-mfu {inference_mfu:g} with "
                          f"--objective {objective or 'flops (the default)'}.")


def _check_size(plan: Plan) -> None:
    """Refuse a plan of less than one parameter or one token (a question far too small for the law)."""
    if plan.n_params >= 1 and plan.n_tokens >= 1:
        return
    raise ConfigError(f"The plan must have at least 1 parameter and 1 token; the question asked gives a model of "
                      f"{plan.n_params:.3g} parameters on {plan.n_tokens:.3g} tokens under law {plan.law}.")
