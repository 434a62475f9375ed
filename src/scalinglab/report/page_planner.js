/* scalinglab planner page, part 2 of 7: the laws and the planner questions, ported from the Python one formula
 * at a time (module and function named above each). A plan here is the object Plan.as_dict() writes.
 *
 * Chinchilla (laws/chinchilla.py)            L = E + A/N^alpha + B/D^beta in log space; Eq. 4; iso-loss tokens
 * plan/optimal.py    plan_compute, plan_target_loss, with_intervals, check_budget, smallest_budget
 * plan/inference.py  plan_inference (Sardana et al.; hold loss or compute; objective flops or usd)
 */
"use strict";

(function (SL) {
  const { PlanError, ConfigError, fmtG, pct0, pyRepr, centralInterval, argminLog } = SL;
  const FLOPS_PER_PARAM_TOKEN = 6.0;

  /* ---- laws ---------------------------------------------------------------------------------------- */

  function chinchilla(name, c) {
    const [E, A, B, alpha, beta] = c;
    return { name, E, A, B, alpha, beta, dc: null };
  }

  // L = E + A/N^α + B/D^β from log N and log D: three positive terms summed (chinchilla.predict sums them in log
  // space; the two agree to rounding), in the fewest calls to exp, for the searches that evaluate it most
  function lossLog(law, logN, logD) {
    return law.E + law.A * Math.exp(-law.alpha * logN) + law.B * Math.exp(-law.beta * logD);
  }

  function loss(law, n, d) { return lossLog(law, Math.log(n), Math.log(d)); }

  // Hoffmann et al. Eq. 4 (chinchilla.allocation): N* = G (C/6)^(β/(α+β)), D* = C/(6 N*)
  function computeOptimal(law, flops) {
    const s = law.alpha + law.beta;
    const logG = (Math.log(law.alpha * law.A) - Math.log(law.beta * law.B)) / s;
    const c6 = flops / FLOPS_PER_PARAM_TOKEN;
    const n = Math.exp(logG + (law.beta / s) * Math.log(c6));
    return [n, c6 / n];
  }

  // Chinchilla.optimal_flops_for_loss: C = (K/(ℓ − E))^((α+β)/(αβ)), K read off at C = 1e20
  function optimalFlopsForLoss(law, target) {
    checkTarget(law, target);
    const gamma = law.alpha * law.beta / (law.alpha + law.beta);
    const c0 = 1e20;
    const [n0, d0] = computeOptimal(law, c0);
    const k = (loss(law, n0, d0) - law.E) * c0 ** gamma;
    return (k / (target - law.E)) ** (1.0 / gamma);
  }

  // Chinchilla.tokens_for_loss: Eq. 2 solved for D, NaN where N cannot reach the target
  function tokensForLoss(law, n, target) {
    const room = target - law.E - law.A * n ** (-law.alpha);
    return room > 0 ? (law.B / room) ** (1.0 / law.beta) : NaN;
  }

  function checkTarget(law, target) {
    if (target <= law.E) {
      throw new PlanError(`The 'target_loss' parameter must be > ${fmtG(law.E, 4)}, the irreducible loss E of law ` +
        `${pyRepr(law.name)}; no finite model reaches it. Got ${fmtG(target)}.`);
    }
  }

  /* ---- plans --------------------------------------------------------------------------------------- */

  function makePlan(question, law, n, d, extra) {
    if (!(Number.isFinite(n) && Number.isFinite(d) && n > 0 && d > 0)) {
      throw new PlanError(`The law ${pyRepr(law.name)} gives no finite model size and token count here ` +
        `(N = ${fmtG(n)}, D = ${fmtG(d)}); its coefficients are degenerate.`);
    }
    return Object.assign({ question, law: law.name, n_params: n, n_tokens: d, flops: FLOPS_PER_PARAM_TOKEN * n * d,
      loss: loss(law, n, d), intervals: {}, notes: [], stamp: "" }, extra || {});
  }

  function interval(low, high, level, nSamples, band, bands) {
    return { low, high, level, n_samples: nSamples, band,
      label: `${fmtG(100.0 * level, 4)}% ${band} band (${bands[band]})` };
  }

  // FittedLaw.predictive_interval: refits' log loss plus the scatter at C, central interval of the loss
  function predictiveInterval(fit, logDraws, flops, level) {
    const sc = fit.scatter;
    if (!sc) return null;
    const fmax = sc.flops_max === null ? Infinity : sc.flops_max;
    const scale = sc.sigma + sc.kappa * Math.max(0.0, Math.log10(flops / fmax));
    const noise = fit.noise, k = noise.length;
    const total = new Float64Array(logDraws.length * k);
    for (let s = 0; s < logDraws.length; s++) {
      for (let j = 0; j < k; j++) total[s * k + j] = logDraws[s] + noise[j] * scale;
    }
    const [lo, hi] = centralInterval(total, level);
    return [Math.exp(lo), Math.exp(hi)];
  }

  const INTERVAL_KEYS = ["n_params", "n_tokens", "tokens_per_param", "flops", "loss", "total_flops"];

  function field(plan, key) {
    if (key === "tokens_per_param") return plan.n_tokens / plan.n_params;
    return plan[key] === undefined ? null : plan[key];
  }

  // plan/optimal.py with_intervals (allow_unidentified=True: a plan the CLI would refuse is stamped and
  // plan.refused says why); plan.ranges holds each number's min–max over the refits, for the page only
  function withIntervals(plan, fit, solve, stamp, lossAt, bands) {
    const level = fit.level;
    plan.notes.push(...stamp);
    if (stamp.length) plan.stamp = "NOT IDENTIFIED";
    const at = lossAt || ((lw) => loss(lw, plan.n_params, plan.n_tokens));
    const logs = [];
    for (const lw of (fit.samples.length ? fit.samples : [fit.law])) {
      const v = at(lw);
      if (Number.isFinite(v) && v > 0) logs.push(Math.log(v));
    }
    const intervals = {};
    const pred = logs.length ? predictiveInterval(fit, logs, plan.flops, level) : null;
    if (pred) intervals.loss_new_run = interval(pred[0], pred[1], level, Math.max(fit.nSamples, 1), "prediction", bands);
    plan.intervals = intervals;
    plan.ranges = {};
    if (!fit.samples.length) {
      plan.notes.push(`No mean band: law ${pyRepr(fit.name)} carries no bootstrap refits (fit your own runs with ` +
        "`scalinglab fit --n-bootstrap N` to get them).");
      return plan;
    }
    const values = {};
    for (const k of INTERVAL_KEYS) values[k] = [];
    let failed = 0;
    for (const v of fit.samples) {
      let p;
      try {
        p = solve(v, true);
      } catch (e) {
        if (e instanceof PlanError) { failed += 1; continue; }
        throw e;
      }
      const row = INTERVAL_KEYS.map((k) => field(p, k));
      if (!row.every((x) => x === null || Number.isFinite(x))) { failed += 1; continue; }
      INTERVAL_KEYS.forEach((k, i) => { if (row[i] !== null) values[k].push(row[i]); });
    }
    for (const k of INTERVAL_KEYS) {
      const xs = values[k];
      if (xs.length >= 2) {
        const [lo, hi] = centralInterval(xs, level);
        intervals[k] = interval(lo, hi, level, xs.length, "mean", bands);
        plan.ranges[k] = [Math.min(...xs), Math.max(...xs)];
      }
    }
    if (failed) plan.notes.push(`${failed} of ${fit.samples.length} law variants had no solution and were skipped.`);
    const nIv = intervals.n_params;
    if (nIv) {
      const spread = Math.log10(nIv.high / nIv.low);
      if (spread > fit.allocationDecades) {
        const reason = `the ${pct0(level)} interval of the compute-optimal N at ${fmtG(plan.flops, 3)} FLOPs spans ` +
          `${spread.toFixed(1)} decades (${fmtG(nIv.low, 3)} to ${fmtG(nIv.high, 3)}; limit ${fmtG(fit.allocationDecades)})`;
        plan.refused = `The law ${pyRepr(fit.name)} does not identify the plan: ${reason}. ` +
          `${fit.fix || "More runs near this budget would narrow it."}`;
        plan.notes.push(`NOT IDENTIFIED at this budget — planned anyway on request: ${reason}. Do not rely on these numbers.`);
        plan.stamp = "NOT IDENTIFIED";
      }
    }
    return plan;
  }

  // plan/optimal.py smallest_budget and check_budget
  function smallestBudget(law) {
    let lo = 0.0, hi = 60.0;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (Math.min(...computeOptimal(law, 10.0 ** mid)) >= 1) hi = mid; else lo = mid;
    }
    const step = 10.0 ** (Math.floor(hi) - 2);
    return Math.ceil(10.0 ** hi / step) * step;
  }

  function checkBudget(law, flops, name, got) {
    const [n, d] = computeOptimal(law, flops);
    if (n >= 1 && d >= 1) return;
    throw new PlanError(`${name || "The 'flops' parameter"} must give at least 1 parameter and 1 token; it gives a ` +
      `model of ${fmtG(n, 3)} parameters on ${fmtG(d, 3)} tokens under law ${law.name}. The smallest such budget is ` +
      `${fmtG(smallestBudget(law), 3)} FLOPs. Got ${got !== undefined && got !== null ? got : fmtG(flops)}.`);
  }

  function checkPositive(name, value, allowZero) {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new ConfigError(`The ${pyRepr(name)} parameter must be a number. Got ${value}.`);
    }
    if (!Number.isFinite(value)) throw new ConfigError(`The ${pyRepr(name)} parameter must be finite. Got ${fmtG(value)}.`);
    if (allowZero ? value < 0 : value <= 0) {
      throw new ConfigError(`The ${pyRepr(name)} parameter must be ${allowZero ? ">=" : ">"} 0. Got ${fmtG(value)}.`);
    }
    return value;
  }

  function checkFraction(name, value) {
    checkPositive(name, value);
    if (value > 1) throw new ConfigError(`The ${pyRepr(name)} parameter must be in (0, 1]. Got ${fmtG(value)}.`);
    return value;
  }

  function planCompute(m, flops) {
    checkPositive("flops", flops);
    checkBudget(m.law, flops);
    const solve = (lw) => { const [n, d] = computeOptimal(lw, flops); return makePlan("compute", lw, n, d); };
    return withIntervals(solve(m.law), m, solve, m.stamp, null, m.bands);
  }

  function planTargetLoss(m, target) {
    checkPositive("target_loss", target);
    checkTarget(m.law, target);
    const solve = (lw) => {
      const [n, d] = computeOptimal(lw, optimalFlopsForLoss(lw, target));
      return makePlan("target-loss", lw, n, d);
    };
    return withIntervals(solve(m.law), m, solve, m.stamp, null, m.bands);
  }

  // plan/inference.py _loss_held: the least weighted training + inference compute at loss `target`
  function lossHeld(lw, target, T, wTrain, wInf, refit) {
    checkTarget(lw, target);
    const cRef = optimalFlopsForLoss(lw, target);
    const [nRef, dRef] = computeOptimal(lw, cRef);
    const cost = (logN) => {  // tokens_for_loss inlined, from log N
      const n = Math.exp(logN);
      const room = target - lw.E - lw.A * Math.exp(-lw.alpha * logN);
      const d = room > 0 ? (lw.B / room) ** (1.0 / lw.beta) : NaN;
      return wTrain * (FLOPS_PER_PARAM_TOKEN * n * d) + wInf * (2.0 * n * T);
    };
    const n = Math.exp(argminLog(cost, Math.log(nRef) - 25.0, Math.log(nRef) + 0.5, refit));
    const d = tokensForLoss(lw, n, target);
    if (!Number.isFinite(d)) throw new PlanError(`No model reaches loss ${fmtG(target)} under law ${pyRepr(lw.name)}.`);
    const train = FLOPS_PER_PARAM_TOKEN * n * d, serve = 2.0 * n * T;
    const refTrain = FLOPS_PER_PARAM_TOKEN * nRef * dRef, refServe = 2.0 * nRef * T;
    const total = train + serve, refTotal = refTrain + refServe;
    const reference = { what: "compute-optimal model of the same loss", n_params: nRef, n_tokens: dRef,
      tokens_per_param: dRef / nRef, flops: refTrain, inference_flops: refServe, total_flops: refTotal,
      flops_saved: refTotal - total, fraction_saved: 1.0 - total / refTotal, flops_added: train - refTrain,
      fraction_flops_added: train / refTrain - 1.0 };
    return Object.assign(makePlan("inference", lw, n, d), { flops: train, inference_tokens: T, inference_flops: serve,
      total_flops: total, hold: "loss", reference });
  }

  // plan/inference.py _compute_held: the least loss with 6·N·D + ratio·2·N·T = budget
  function computeHeld(lw, budget, T, ratio, refit) {
    const [nOpt, dOpt] = computeOptimal(lw, budget);
    const tEff = ratio * T;
    let n, d;
    if (tEff === 0) {
      [n, d] = [nOpt, dOpt];
    } else {
      const hi = Math.min(Math.log(nOpt) + 0.5, Math.log(budget / (2.0 * tEff)));
      const f = (logN) => {
        const nn = Math.exp(logN);
        const dd = (budget - 2.0 * nn * tEff) / (FLOPS_PER_PARAM_TOKEN * nn);
        return dd > 0 ? loss(lw, nn, dd) : Infinity;
      };
      n = Math.exp(argminLog(f, hi - 25.0, hi, refit));
      d = (budget - 2.0 * n * tEff) / (FLOPS_PER_PARAM_TOKEN * n);
    }
    if (!(Number.isFinite(n) && Number.isFinite(d) && n > 0 && d > 0)) {
      throw new PlanError(`No model serves ${fmtG(T)} tokens within ${fmtG(budget)} FLOPs under law ${pyRepr(lw.name)}.`);
    }
    const train = FLOPS_PER_PARAM_TOKEN * n * d, serve = 2.0 * n * T;
    const lossOpt = loss(lw, nOpt, dOpt), lossN = loss(lw, n, d);
    const reference = { what: "compute-optimal model of the same budget, ignoring inference", n_params: nOpt,
      n_tokens: dOpt, tokens_per_param: dOpt / nOpt, flops: budget, loss: lossOpt, inference_flops: 2.0 * nOpt * T,
      total_flops: budget + 2.0 * nOpt * T, loss_given_up: lossN - lossOpt };
    return Object.assign(makePlan("inference", lw, n, d), { flops: train, loss: lossN, inference_tokens: T,
      inference_flops: serve, total_flops: train + serve, hold: "compute", reference });
  }

  // plan/inference.py plan_inference; o = {targetLoss, flops, hold, objective, trainMfu, inferenceMfu}
  function planInference(m, T, o) {
    checkPositive("inference_tokens", T, true);
    let wTrain = 1.0, wInf = 1.0, trainMfu = o.trainMfu, infMfu = o.inferenceMfu;
    if ((o.targetLoss === null) === (o.flops === null)) {
      throw new ConfigError("The inference plan needs exactly one of 'target_loss' or 'flops'.");
    }
    if (o.hold === "compute" && o.flops === null) {
      throw new ConfigError("The 'hold' parameter 'compute' holds a compute budget and needs 'flops'; a target loss " +
        `is held with hold='loss'. Got hold='compute' with target_loss=${o.targetLoss}.`);
    }
    if (o.objective === "usd") {
      trainMfu = checkFraction("train_mfu", trainMfu);
      infMfu = checkFraction("inference_mfu", infMfu !== null ? infMfu : trainMfu);
      wTrain = 1.0 / trainMfu; wInf = 1.0 / infMfu;
    }
    let solve;
    if (o.hold === "compute") {
      const budget = checkPositive("flops", o.flops);
      solve = (lw, refit) => computeHeld(lw, budget, T, wInf / wTrain, refit);
    } else {
      let target;
      if (o.flops !== null) {
        checkPositive("flops", o.flops);
        const [n, d] = computeOptimal(m.law, o.flops);
        target = loss(m.law, n, d);
      } else {
        target = checkPositive("target_loss", o.targetLoss);
      }
      solve = (lw, refit) => lossHeld(lw, target, T, wTrain, wInf, refit);
    }
    const plan = withIntervals(solve(m.law, false), m, solve, m.stamp, null, m.bands);
    if (o.objective === "usd") {
      plan.notes.push(`Objective: GPU time with MFU ${fmtG(trainMfu)} (training) and ${fmtG(infMfu)} (inference).`);
    }
    return plan;
  }

  // plan/inference.py implied_inference_tokens: the demand for which (N, D) is the optimal recipe
  function impliedInferenceTokens(law, n, d) {
    const target = loss(law, n, d);
    const h = 1e-4;
    const dLo = tokensForLoss(law, n * Math.exp(-h), target), dHi = tokensForLoss(law, n * Math.exp(h), target);
    const eps = -(Math.log(dHi) - Math.log(dLo)) / (2 * h);
    const t = 3.0 * d * (eps - 1.0);
    return Number.isFinite(t) && t > 0 ? t : null;
  }

  // the page's model of a law: the point law, its refits as the planner thins them, the scatter and verdict
  function model(data) {
    const f = data.fit, law = chinchilla(data.law.name, data.law.coefficients), id = f.identification;
    let stamp = [];
    if (!(id.identified || id.status === "unchecked")) {
      stamp = [`NOT IDENTIFIED — planned anyway on request: law ${pyRepr(law.name)} (${id.reasons.join("; ")}). ` +
        "Do not rely on these numbers."];
    }
    return { law, name: law.name, samples: f.samples.map((c, i) => chinchilla(`${law.name}[${i}]`, c)),
      nSamples: f.n_samples, scatter: f.scatter, noise: f.noise, level: f.level, stamp, fix: id.fix,
      identified: stamp.length === 0, allocationDecades: data.constants.allocation_decades,
      rd: data.constants.rd_star, rn: data.constants.rn_star, bands: data.constants.bands };
  }

  Object.assign(SL, { chinchilla, lossLog, loss, computeOptimal, optimalFlopsForLoss, tokensForLoss, makePlan,
    withIntervals, checkBudget, smallestBudget, checkPositive, checkFraction, planCompute, planTargetLoss,
    planInference, impliedInferenceTokens, model, FLOPS_PER_PARAM_TOKEN });
})(SL);
