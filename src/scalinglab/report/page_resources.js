/* scalinglab planner page, part 4 of 7: what `plan` attaches to a plan, ported from the Python.
 *
 * cost.py           training_cost, flops_in_days
 * flops.py          Architecture.from_n_params, param_counts, aspect_ratio_rule, flops_per_token
 * memory.py         training_memory (bf16 AdamW, ZeRO-3, checkpointing), inference_memory (bf16, batch 1)
 * plan/resources.py with_hardware, min_gpus_to_fit
 * plan/hyperparams.py with_hyperparams (rule_inputs; HyperparamRule.predict)
 */
"use strict";

(function (SL) {
  const { fmtG, commas, centralInterval } = SL;
  const SECONDS_PER_HOUR = 3600.0, SECONDS_PER_DAY = 86400.0, GB = 1e9;

  function trainingCost(flops, gpu, nGpus, mfu, pue) {
    const gpuHours = flops / (gpu.peak_flops * mfu) / SECONDS_PER_HOUR;
    const wallHours = gpuHours / nGpus;
    return { gpu: gpu.name, n_gpus: nGpus, mfu, usd_per_hour: gpu.usd_per_hour, flops, gpu_hours: gpuHours,
      wall_hours: wallHours, usd: gpuHours * gpu.usd_per_hour, energy_kwh: gpuHours * gpu.power_w / 1000.0 * pue, pue,
      wall_days: wallHours / 24.0 };
  }

  function flopsInDays(gpu, nGpus, days, mfu) { return nGpus * gpu.peak_flops * mfu * days * SECONDS_PER_DAY; }

  /* ---- flops.py: a plausible shape for N parameters ------------------------------------------------ */

  function aspectRatioRule(n) { return Math.min(Math.max(64.0 + 32.0 * Math.log10(n / 1e8), 64.0), 128.0); }

  function arch(nLayers, dModel, nHeads, vocab, context) {
    return { n_layers: nLayers, d_model: dModel, n_heads: nHeads, d_ff: 4 * dModel, vocab_size: vocab, context,
      n_kv_heads: nHeads, head_dim: Math.floor(dModel / nHeads) };
  }

  // Architecture.param_counts, tied embeddings, no learned positions, plain MLP
  function paramCounts(a) {
    const d = a.d_model, q = a.n_heads * a.head_dim, kv = a.n_kv_heads * a.head_dim;
    const attention = a.n_layers * (d * q + 2 * d * kv + q * d), mlp = a.n_layers * 2 * d * a.d_ff;
    const norm = (2 * a.n_layers + 1) * d, embedding = a.vocab_size * d, head = 0;
    return { embedding, attention, mlp, norm, head, total: embedding + attention + mlp + norm + head };
  }

  // Architecture.from_n_params with its defaults (vocabulary 50,304, head_dim 128, tied, count "total")
  function fromNParams(target, context) {
    const vocab = 50304, headDim = 128, ratio = aspectRatioRule(target), emb = vocab;
    const build = (nLayers, d) => {
      let nHeads;
      if (d >= 8 * headDim) nHeads = Math.floor(d / headDim);
      else if (d >= 256) nHeads = Math.floor(d / 64);
      else nHeads = [8, 4, 2, 1].find((h) => d % h === 0 && (Math.floor(d / h) >= 8 || h === 1));
      return arch(nLayers, d, nHeads, vocab, context);
    };
    let lo = 1.0, hi = 1e7;
    for (let i = 0; i < 200; i++) {
      const mid = Math.sqrt(lo * hi);
      if (12 * mid ** 3 / ratio + emb * mid < target) lo = mid; else hi = mid;
    }
    const layersRule = Math.max(1.0, lo / ratio);
    let best = null, bestKey = null;
    for (let L = Math.max(1, Math.floor(layersRule / 2)); L <= Math.ceil(2 * layersRule); L++) {
      const dExact = (-emb + Math.sqrt(emb ** 2 + 48 * L * target)) / (24 * L);
      const step = dExact >= 8 * headDim ? headDim : (dExact >= 256 ? 64 : 4);
      const cands = new Set([Math.max(step, Math.floor(dExact / step) * step), step * Math.ceil(dExact / step)]);
      for (const d of cands) {
        const a = build(L, d);
        const err = Math.abs(Math.log(paramCounts(a).total / target));
        const shapeErr = Math.abs(Math.log(d / L / ratio));
        const key = err <= Math.log(1.05) ? [0.0, shapeErr] : [err, shapeErr];
        if (best === null || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
          best = a; bestKey = key;
        }
      }
    }
    return best;
  }

  /* ---- memory.py ----------------------------------------------------------------------------------- */

  function trainingMemory(a, n, gpu) {
    const nParams = paramCounts(a).total;
    const wGpu = nParams * 2.0 / n, gGpu = nParams * 2.0 / n, oGpu = nParams * (4.0 + 8.0) / n;
    const s = a.context, h = a.d_model, mbs = 1;
    const fullLayer = s * mbs * h * (34.0 + 5.0 * a.n_heads * s / h);
    let act = 2.0 * s * mbs * h * a.n_layers + fullLayer;
    act += 4.0 * s * mbs * h + 4.0 * s * mbs * a.vocab_size;
    const states = wGpu + gGpu + oGpu, perGpu = states + act, mem = gpu.memory_gb * 1e9;
    return { weights: wGpu * n, gradients: gGpu * n, optimizer: oGpu * n, activations: act * n, total: perGpu * n,
      per_gpu: perGpu, states_per_gpu: states, activations_per_gpu: act, gpu_memory: mem, fits: perGpu <= mem,
      n_gpus: n, n_params: nParams,
      assumptions: "bf16 weights+grads (2+2 B/param), adamw states 8 B/param + fp32 master 4 B/param; " +
        `sharding=zero3 over ${n} GPU(s); activations per Korthikanti et al. 2022 (micro-batch 1, seq ${s}, full ` +
        "checkpointing) + fp32 logits; no framework overhead",
      total_gb: perGpu * n / GB, per_gpu_gb: perGpu / GB };
  }

  function inferenceMemory(a, gpu) {
    const weights = paramCounts(a).total * 2.0;
    const kv = 2.0 * a.n_layers * a.n_kv_heads * a.head_dim * a.context * 1 * 2.0;
    const total = weights + kv, mem = gpu.memory_gb * 1e9;
    return { weights, kv_cache: kv, total, per_gpu: total / 1, gpu_memory: mem, fits: total <= mem, n_gpus: 1,
      assumptions: `bf16 weights, bf16 KV cache, batch 1, context ${a.context}, split evenly over 1 GPU(s); ` +
        "activations and framework overhead not counted",
      total_gb: total / GB, per_gpu_gb: total / GB };
  }

  function minGpusToFit(a, gpu, maxGpus) {
    for (let n = 1; n <= maxGpus; n *= 2) { if (trainingMemory(a, n, gpu).fits) return n; }
    return null;
  }

  // plan/resources.py with_hardware (pue 1, inference batch 1)
  function withHardware(plan, gpu, nGpus, mfu, consts) {
    const cost = trainingCost(plan.flops, gpu, nGpus, mfu, 1.0);
    const a = fromNParams(plan.n_params, 2048);
    plan.memory = {
      architecture: { n_layers: a.n_layers, d_model: a.d_model, n_heads: a.n_heads, d_ff: a.d_ff,
        vocab_size: a.vocab_size, context: a.context, n_params: paramCounts(a).total },
      training: trainingMemory(a, nGpus, gpu), inference: inferenceMemory(a, gpu),
      min_gpus_to_train: minGpusToFit(a, gpu, consts.max_gpus_searched) };
    if (plan.inference_flops !== undefined && plan.inference_flops !== null) {
      const serve = plan.inference_flops > 0 ? trainingCost(plan.inference_flops, gpu, nGpus, mfu, 1.0) : null;
      cost.inference_gpu_hours = serve ? serve.gpu_hours : 0.0;
      cost.inference_usd = serve ? serve.usd : 0.0;
    }
    plan.cost = cost;
    return plan;
  }

  /* ---- plan/hyperparams.py ------------------------------------------------------------------------- */

  const SYMBOLS = { n_params: "N", n_tokens: "D", flops: "C" };

  function ruleInputs(plan, rule, context) {
    const a = fromNParams(plan.n_params, context || 2048);
    const shape = `${a.n_layers} layers × d_model ${a.d_model}, vocabulary ${commas(a.vocab_size)}`;
    const inputs = {}, said = [];
    if (rule.variables.includes("n_params")) {
      if (rule.n_params_count === "non_embedding") {
        const pc = paramCounts(a), emb = pc.embedding + pc.head;
        if (emb <= 0.5 * plan.n_params) {
          inputs.n_params = plan.n_params - emb;
          said.push(`N = ${fmtG(inputs.n_params, 4)} non-embedding (the plan's ${fmtG(plan.n_params, 4)} less ` +
            `${fmtG(emb, 3)} embedding parameters of ${shape})`);
        } else {
          inputs.n_params = plan.n_params;
          said.push(`N = ${fmtG(plan.n_params, 4)}, all the plan's parameters: a vocabulary of ` +
            `${commas(a.vocab_size)} would make ${fmtG(emb, 3)} of them embeddings, so none are taken off`);
        }
      } else {
        inputs.n_params = plan.n_params;
        said.push(`N = ${fmtG(plan.n_params, 4)} (all parameters)`);
      }
    }
    if (rule.variables.includes("n_tokens")) {
      inputs.n_tokens = plan.n_tokens;
      said.push(`D = ${fmtG(plan.n_tokens, 4)} tokens`);
    }
    if (rule.variables.includes("flops")) {
      if (rule.flops_convention === "6N") {
        inputs.flops = plan.flops;
        said.push(`C = 6·N·D = ${fmtG(plan.flops, 4)}`);
      } else {
        const pc = paramCounts(a);
        const perToken = rule.flops_convention === "deepseek"
          ? 72.0 * a.n_layers * a.d_model ** 2 + 12.0 * a.n_layers * a.d_model * a.context
          : 6.0 * (pc.total - pc.embedding - pc.head) + 6.0 * a.n_layers * a.context * a.d_model;
        inputs.flops = perToken * plan.n_tokens;
        said.push(`C = M·D = ${fmtG(inputs.flops, 4)} with M = ${fmtG(perToken, 4)} FLOPs/token ` +
          `(${rule.flops_convention} convention; ${shape}, context ${commas(a.context)})`);
      }
    }
    return [inputs, said.join("; ")];
  }

  function design(power, inputs) { return [1.0, ...power.exponents.map(([v]) => Math.log(inputs[v]))]; }
  function theta(power) { return [power.log_coef, ...power.exponents.map(([, e]) => e)]; }
  function dot(a, b) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }

  // HyperparamRule._intervals: the refits' central quantiles, else a normal band from the covariance
  function ruleIntervals(rule, gLr, gB) {
    const k = gLr.length;
    if (rule.samples && rule.samples.length) {
      return [[0, gLr], [k, gB]].map(([off, g]) => centralInterval(
        rule.samples.map((row) => Math.exp(dot(row.slice(off, off + g.length), g))), rule.level));
    }
    if (rule.cov) {
      return [[0, gLr, theta(rule.lr)], [k, gB, theta(rule.batch)]].map(([off, g, th]) => {
        const mean = dot(g, th);
        let v = 0;
        for (let i = 0; i < g.length; i++) for (let j = 0; j < g.length; j++) v += g[i] * rule.cov[off + i][off + j] * g[j];
        const sd = Math.sqrt(v);
        return [Math.exp(mean - rule.z * sd), Math.exp(mean + rule.z * sd)];
      });
    }
    return [null, null];
  }

  function withHyperparams(plan, rule) {
    const ctx = rule.context;
    const [inputs, how] = ruleInputs(plan, rule, ctx);
    const gLr = design(rule.lr, inputs), gB = design(rule.batch, inputs);
    const lr = Math.exp(dot(gLr, theta(rule.lr))), batch = Math.exp(dot(gB, theta(rule.batch)));
    const [lrIv, bIv] = ruleIntervals(rule, gLr, gB);
    const outside = Object.keys(inputs).filter((v) => rule.domain[v] &&
      !(rule.domain[v][0] <= inputs[v] && inputs[v] <= rule.domain[v][1])).map((v) =>
      `${SYMBOLS[v]} = ${fmtG(inputs[v], 3)} is outside the rule's data (${fmtG(rule.domain[v][0], 3)} to ` +
      `${fmtG(rule.domain[v][1], 3)})`);
    plan.hyperparams = { rule: rule.name, citation: rule.citation, learning_rate: lr, learning_rate_interval: lrIv,
      batch_tokens: batch, batch_tokens_interval: bIv, context: ctx,
      batch_sequences: ctx === null ? null : batch / ctx,
      batch_sequences_interval: ctx === null || bIv === null ? null : bIv.map((b) => b / ctx),
      level: rule.level, band: rule.band_source, inputs, inputs_note: how, outside };
    return plan;
  }

  Object.assign(SL, { trainingCost, flopsInDays, fromNParams, paramCounts, trainingMemory, inferenceMemory,
    minGpusToFit, withHardware, withHyperparams });
})(SL);
