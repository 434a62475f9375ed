/* scalinglab planner page, part 5 of 7: one question asked as `scalinglab plan ... --json` asks it
 * (cli/plan_cmd.py): the budget from FLOPs or from GPUs × days × MFU, the budget check, the plan, its cost and
 * memory on the GPUs, the hyperparameters, and for inference plans the sweep over demands and the example.
 *
 * A state is what the page's controls hold:
 *   question      "compute" | "inference" | "unique-tokens" | "target-loss"
 *   budget        "flops" | "days"         flops | gpus, days, mfu (mfu also prices the run, as --mfu does)
 *   quality       "budget" | "target"      what an inference plan holds the loss of (--flops/--days or --target-loss)
 *   target_loss, inference_tokens, hold ("loss" | "compute"), objective ("flops" | "usd"), inference_mfu (null: mfu),
 *   unique_tokens, gpu (a catalogue name), usd_per_hour (null: the catalogue's price)
 */
"use strict";

(function (SL) {
  const { ConfigError, fmtG, pyRepr, checkPositive, checkFraction } = SL;

  const OPTIONAL = ["unique_tokens", "epochs", "effective_tokens", "effective_params", "inference_tokens",
    "inference_flops", "total_flops", "hold", "reference", "cost", "memory", "hyperparams"];

  // Plan.as_dict
  function asDict(p) {
    const out = { question: p.question, law: p.law, n_params: p.n_params, n_tokens: p.n_tokens,
      tokens_per_param: p.n_tokens / p.n_params, flops: p.flops, loss: p.loss };
    for (const k of OPTIONAL) { if (p[k] !== undefined && p[k] !== null) out[k] = p[k]; }
    out.intervals = p.intervals;
    out.notes = p.notes.slice();
    if (p.stamp) out.stamp = p.stamp;
    return out;
  }

  function whole(name, value, maximum) {
    if (!(Number.isInteger(value) && value >= 1 && value <= maximum)) {
      throw new ConfigError(`The '${name}' option must be a whole number from 1 to ${SL.commas(maximum)}. Got ${pyRepr(String(value))}.`);
    }
    return value;
  }

  function choice(name, value, choices) {
    if (!choices.includes(value)) {
      throw new ConfigError(`The ${pyRepr(name)} parameter must be one of ${choices.join(", ")}. Got ${pyRepr(value)}.`);
    }
    return value;
  }

  function hardware(data, st) {
    const g = data.gpus.find((x) => x.name === st.gpu);
    if (!g) throw new ConfigError(`The 'gpu' parameter must be one of ${data.gpus.map((x) => x.name).join(", ")}. Got ${pyRepr(st.gpu)}.`);
    const gpu = st.usd_per_hour === null || st.usd_per_hour === undefined ? g
      : Object.assign({}, g, { usd_per_hour: checkPositive("usd_per_hour", st.usd_per_hour, true) });
    return { gpu, nGpus: whole("--gpus", st.gpus, data.constants.max_gpus), mfu: checkFraction("mfu", st.mfu) };
  }

  // plan_cmd._budget and the budget check plan_cmd makes before planning
  function budgetOf(m, st, hw) {
    let budget, got = null, flag = "--flops";
    if (st.budget === "days") {
      const days = checkPositive("days", st.days);
      const flops = SL.flopsInDays(hw.gpu, hw.nGpus, days, hw.mfu);
      budget = { flops, source: "--days", days, n_gpus: hw.nGpus, gpu: hw.gpu.name, peak_flops: hw.gpu.peak_flops,
        mfu: hw.mfu };
      got = `${fmtG(days)} days = ${fmtG(flops, 3)} FLOPs`;
      flag = "--days";
    } else {
      budget = { flops: checkPositive("flops", st.flops), source: "--flops" };
    }
    SL.checkBudget(m.law, budget.flops, `The '${flag}' budget`, got);
    return budget;
  }

  function inferenceOptions(st, flops, hw) {
    return { targetLoss: st.quality === "target" ? st.target_loss : null, flops, hold: choice("hold", st.hold, ["loss", "compute"]),
      objective: choice("objective", st.objective, ["flops", "usd"]), trainMfu: hw.mfu,
      inferenceMfu: st.objective === "usd" && st.inference_mfu !== null && st.inference_mfu !== undefined
        ? st.inference_mfu : null };
  }

  // the JSON `scalinglab plan --json` prints for the question `st` (plus, under `page`, what the page alone shows)
  function ask(m, data, st) {
    const q = choice("question", st.question, ["compute", "inference", "unique-tokens", "target-loss"]);
    const hw = hardware(data, st);
    const usesBudget = q === "compute" || q === "unique-tokens" || (q === "inference" && st.quality !== "target");
    const budget = usesBudget ? budgetOf(m, st, hw) : null;
    const flops = budget ? budget.flops : null;
    let plan, opts = null;
    if (q === "compute") plan = SL.planCompute(m, flops);
    else if (q === "target-loss") plan = SL.planTargetLoss(m, st.target_loss);
    else if (q === "unique-tokens") plan = SL.planUniqueTokens(m, st.unique_tokens, flops);
    else {
      if (st.hold === "compute" && st.quality === "target") {
        throw new ConfigError("The '--hold compute' option holds a compute budget (--flops); a --target-loss plan " +
          `holds the loss. Got --hold compute with --target-loss ${fmtG(st.target_loss)}.`);
      }
      opts = inferenceOptions(st, flops, hw);
      plan = SL.planInference(m, st.inference_tokens, opts);
    }
    if (!(plan.n_params >= 1 && plan.n_tokens >= 1)) {
      throw new ConfigError("The plan must have at least 1 parameter and 1 token; the question asked gives a model of " +
        `${fmtG(plan.n_params, 3)} parameters on ${fmtG(plan.n_tokens, 3)} tokens under law ${plan.law}.`);
    }
    SL.withHardware(plan, hw.gpu, hw.nGpus, hw.mfu, data.constants);
    if (data.hp_rule) SL.withHyperparams(plan, data.hp_rule);
    const out = asDict(plan);
    if (budget && q !== "target-loss") out.budget = budget;
    if (q === "inference") {
      const point = Object.assign({}, m, { samples: [], scatter: null, stamp: [] });
      out.sweep = data.constants.sweep_tokens.map((t) => {
        const p = SL.planInference(point, t, opts);
        const row = { inference_tokens: p.inference_tokens, n_params: p.n_params, n_tokens: p.n_tokens,
          tokens_per_param: p.n_tokens / p.n_params, loss: p.loss, total_flops: p.total_flops };
        for (const k of ["fraction_saved", "loss_given_up"]) { if (k in p.reference) row[k] = p.reference[k]; }
        return row;
      });
      const ex = data.example;
      out.example = { model: ex.model, n_params: ex.n_params, n_tokens: ex.n_tokens,
        tokens_per_param: ex.n_tokens / ex.n_params,
        implied_inference_tokens: SL.impliedInferenceTokens(m.law, ex.n_params, ex.n_tokens) };
    }
    return { json: out, plan, budget };
  }

  // the JSON text as `plan --json` prints it (non-finite numbers as null)
  function jsonText(obj) {
    return JSON.stringify(obj, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2);
  }

  Object.assign(SL, { asDict, ask, jsonText });
})(SL);
