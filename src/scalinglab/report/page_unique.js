/* scalinglab planner page, part 3 of 7: data-constrained plans, ported from the Python.
 *
 * laws/datablations.py  Muennighoff et al.'s effective tokens and parameters under repetition
 * plan/data.py          as_data_constrained (a Chinchilla law with R_D*, R_N* added), plan_unique_tokens
 */
"use strict";

(function (SL) {
  const { fmtG, pyRepr, argminLog, loss, computeOptimal, makePlan, withIntervals, checkPositive } = SL;
  const FLOPS_PER_PARAM_TOKEN = SL.FLOPS_PER_PARAM_TOKEN;

  // plan/data.py as_data_constrained: a Chinchilla law with Muennighoff et al.'s R_D*, R_N* added
  function asDataConstrained(law, rd, rn) {
    if (law.dc) return law;
    const g = (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta));
    return Object.assign({}, law, { dc: { rd, rn, g } });
  }

  // DataConstrained.optimal_params_for_tokens: N_opt(D) = G·(D·G)^(β/α)
  function optimalParamsForTokens(law, d) { const g = law.dc.g; return (d * g) ** (law.beta / law.alpha) * g; }

  function effectiveTokens(law, d, u) {
    const ud = Math.min(u, d);
    const rd = Math.max(d / ud - 1.0, 0.0);
    return ud + ud * law.dc.rd * -Math.expm1(-rd / law.dc.rd);
  }

  function effectiveParams(law, n, u, nOptU) {
    const un = Math.min(n, nOptU === undefined ? optimalParamsForTokens(law, u) : nOptU);
    const rn = Math.max(n / un - 1.0, 0.0);
    return un + un * law.dc.rn * -Math.expm1(-rn / law.dc.rn);
  }

  // DataConstrained.loss: L(N', D') with U_D = min(U, D) (all tokens unique when u is null)
  // (nOptU: N_opt(u), passed by a search that asks at one u many times)
  function dcLoss(law, n, d, u, nOptU) {
    const ud = u === null ? d : Math.min(u, d);
    return loss(law, effectiveParams(law, n, ud, ud === u ? nOptU : undefined), effectiveTokens(law, d, ud));
  }

  // plan/data.py plan_unique_tokens (n_params free)
  function planUniqueTokens(m, U, flops) {
    checkPositive("unique_tokens", U);
    checkPositive("flops", flops);
    const { rd, rn } = m;
    const dc = asDataConstrained(m.law, rd, rn);
    const solve = (lw, refit) => {
      const dlw = asDataConstrained(lw, rd, rn);
      const logC6 = Math.log(flops / FLOPS_PER_PARAM_TOKEN);
      const mid = 0.5 * logC6;
      const nOptU = optimalParamsForTokens(dlw, U);
      const f = (logN) => dcLoss(dlw, Math.exp(logN), Math.exp(logC6 - logN), U, nOptU);
      const logN = argminLog(f, mid - 9.3, mid + 9.3, refit);
      const n = Math.exp(logN);
      const d = flops / (FLOPS_PER_PARAM_TOKEN * n);
      const ud = Math.min(U, d);
      const [nFree, dFree] = computeOptimal(dlw, flops);
      const reference = { what: "compute-optimal plan with unlimited unique data", n_params: nFree, n_tokens: dFree,
        tokens_per_param: dFree / nFree, loss: dcLoss(dlw, nFree, dFree, null) };
      return Object.assign(makePlan("unique-tokens", dlw, n, d), { flops, loss: dcLoss(dlw, n, d, U), unique_tokens: U,
        epochs: d / U, effective_tokens: effectiveTokens(dlw, d, ud), effective_params: effectiveParams(dlw, n, ud),
        reference, flatWidth: flatWidth(f, logN) });
    };
    let flatRefits = 0;
    const counted = (lw, refit) => {
      const p = solve(lw, refit);
      if (p.flatWidth > FLAT_LIMIT) flatRefits += 1;
      return p;
    };
    const plan = solve(dc, false);
    plan.notes.push(`Law ${pyRepr(m.law.name)} has no repetition terms; Muennighoff et al.'s R_D* = ${fmtG(rd, 4)} ` +
      `and R_N* = ${fmtG(rn, 4)} were added to its coefficients.`);
    withIntervals(plan, m, counted, m.stamp,
      (lw) => dcLoss(asDataConstrained(lw, rd, rn), plan.n_params, plan.n_tokens, U), m.bands);
    if (plan.flatWidth > FLAT_LIMIT || flatRefits) {
      const own = plan.flatWidth > FLAT_LIMIT ? `sizes within ±${(100 * plan.flatWidth).toPrecision(2)}% of this N give ` +
        "losses equal to 15 digits, so the law does not set N here" : "this plan's N is set";
      plan.flat = `Repetition saturates the law at ${fmtG(plan.epochs, 3)} epochs: ${own}` + (flatRefits ? `, and ${flatRefits} ` +
        `of ${m.samples.length} refits are as flat, so their N (and the bands) are arbitrary within that range` : "") +
        ". `scalinglab plan` may answer with another N in it.";
    }
    delete plan.flatWidth;
    return plan;
  }

  // half-width in log N over which f stays within 1e-15 (relative) of its value at the minimum x: beyond ~1e-4 the
  // size that minimises f is set by rounding, not by the law (curvature from a central difference)
  const FLAT_LIMIT = 1e-4;
  function flatWidth(f, x) {
    const h = 0.05, y = f(x), c = (f(x + h) + f(x - h) - 2 * y) / (h * h);
    return c > 0 ? Math.sqrt(2e-15 * Math.abs(y) / c) : Infinity;
  }

  Object.assign(SL, { asDataConstrained, dcLoss, effectiveTokens, effectiveParams, planUniqueTokens });
})(SL);
