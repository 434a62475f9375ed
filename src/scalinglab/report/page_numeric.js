/* scalinglab planner page, part 1 of 7: numeric building blocks, each a port of the Python it names.
 *
 * fmtG            Python's format(x, ".{p}g")           (the planner's notes and messages)
 * quantile        numpy.nanquantile, method "linear"     (scalinglab._intervals.central_interval)
 * fminbound       scipy.optimize.minimize_scalar(method="bounded")
 * argminLog       scalinglab.plan._numeric.argmin_log   (dense grid, then bounded Brent)
 */
"use strict";
var SL = (typeof SL !== "undefined") ? SL : {};

(function (SL) {
  class PlanError extends Error {}
  class ConfigError extends Error {}
  SL.PlanError = PlanError;
  SL.ConfigError = ConfigError;

  /* ---- Python's string formatting ---------------------------------------------------------------- */

  function stripZeros(s) {
    return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  }

  // format(x, ".{p}g"): p significant digits, exponent form below 1e-4 or from 10^p, trailing zeros dropped
  function fmtG(x, p) {
    if (p === undefined) p = 6;
    if (p === 0) p = 1;
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    const [mant, expText] = x.toExponential(p - 1).split("e");
    const exp = parseInt(expText, 10);
    if (exp < -4 || exp >= p) {
      const a = Math.abs(exp);
      return stripZeros(mant) + "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" + a : String(a));
    }
    return stripZeros(x.toFixed(Math.max(0, p - 1 - exp)));
  }

  // format(n, ","): thousands separated
  function commas(n) {
    const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return n < 0 ? "-" + s : s;
  }

  // format(x, ".0%")
  function pct0(x) { return (100 * x).toFixed(0) + "%"; }

  // repr(text) of a str
  function pyRepr(text) {
    const s = String(text);
    const q = s.indexOf("'") >= 0 && s.indexOf('"') < 0 ? '"' : "'";
    let out = "";
    for (const ch of s) {
      if (ch === "\\") out += "\\\\";
      else if (ch === q) out += "\\" + q;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else out += ch;
    }
    return q + out + q;
  }

  /* ---- quantiles ---------------------------------------------------------------------------------- */

  // a[k] after the call is the k-th smallest of a (a Float64Array, reordered in place; Hoare's quickselect),
  // with every element before it <= it <= every element after it
  function select(a, k) {
    let l = 0, r = a.length - 1;
    while (r > l) {
      const x1 = a[l], x2 = a[(l + r) >> 1], x3 = a[r];
      const x = x1 < x2 ? (x2 < x3 ? x2 : (x1 < x3 ? x3 : x1)) : (x1 < x3 ? x1 : (x2 < x3 ? x3 : x2));
      let i = l, j = r;
      while (i <= j) {
        while (a[i] < x) i++;
        while (a[j] > x) j--;
        if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
      }
      if (k <= j) r = j; else if (k >= i) l = i; else break;
    }
    return a[k];
  }

  // numpy's "linear" quantile (lerp as numpy writes it) of a Float64Array without NaN, reordered in place
  function quantileOf(a, q) {
    const n = a.length;
    if (n === 0) return NaN;
    const h = q * (n - 1);
    const lo = Math.floor(h);
    const x = select(a, lo);
    let y = x;
    if (lo + 1 < n) { y = a[lo + 1]; for (let i = lo + 2; i < n; i++) if (a[i] < y) y = a[i]; }
    const t = h - lo, diff = y - x;
    return t >= 0.5 ? y - diff * (1 - t) : x + diff * t;
  }

  function finite(values) {
    const out = new Float64Array(values.length);
    let k = 0;
    for (let i = 0; i < values.length; i++) { if (!Number.isNaN(values[i])) out[k++] = values[i]; }
    return k === values.length ? out : out.slice(0, k);
  }

  // scalinglab._intervals.central_interval: the (1 - level)/2 and (1 + level)/2 quantiles, NaN ignored
  function centralInterval(values, level) {
    const q = (1.0 - level) / 2.0;
    const a = finite(values);
    return [quantileOf(a, q), quantileOf(a, 1.0 - q)];
  }

  // the q-quantile of {x_s + e_k} (sorted x and e) as the inverse of its empirical distribution, by bisection:
  // O(S + K) per step instead of sorting S·K values (used for the chart's bands, never a planned number)
  function sumQuantile(xs, es, q) {
    const total = xs.length * es.length;
    let lo = xs[0] + es[0], hi = xs[xs.length - 1] + es[es.length - 1];
    const want = q * total;
    for (let it = 0; it < 40 && hi - lo > 1e-9 * Math.abs(hi); it++) {
      const mid = 0.5 * (lo + hi);
      let count = 0, j = es.length - 1;
      for (let i = 0; i < xs.length; i++) {
        while (j >= 0 && xs[i] + es[j] > mid) j--;
        if (j < 0) break;
        count += j + 1;
      }
      if (count >= want) hi = mid; else lo = mid;
    }
    return 0.5 * (lo + hi);
  }

  /* ---- scipy.optimize.minimize_scalar(method="bounded"), options xatol, maxiter=500 ---------------- */

  function fminbound(func, x1, x2, xatol) {
    const maxfun = 500;
    const sqrtEps = Math.sqrt(2.2e-16);
    const goldenMean = 0.5 * (3.0 - Math.sqrt(5.0));
    let a = x1, b = x2;
    let fulc = a + goldenMean * (b - a);
    let nfc = fulc, xf = fulc;
    let rat = 0.0, e = 0.0;
    let x = xf;
    let fx = func(x);
    let num = 1;
    let fu = Infinity;
    let ffulc = fx, fnfc = fx;
    let xm = 0.5 * (a + b);
    let tol1 = sqrtEps * Math.abs(xf) + xatol / 3.0;
    let tol2 = 2.0 * tol1;
    while (Math.abs(xf - xm) > (tol2 - 0.5 * (b - a))) {
      let golden = 1;
      if (Math.abs(e) > tol1) {
        golden = 0;
        let r = (xf - nfc) * (fx - ffulc);
        let q = (xf - fulc) * (fx - fnfc);
        let p = (xf - fulc) * q - (xf - nfc) * r;
        q = 2.0 * (q - r);
        if (q > 0.0) p = -p;
        q = Math.abs(q);
        r = e;
        e = rat;
        if ((Math.abs(p) < Math.abs(0.5 * q * r)) && (p > q * (a - xf)) && (p < q * (b - xf))) {
          rat = (p + 0.0) / q;
          x = xf + rat;
          if (((x - a) < tol2) || ((b - x) < tol2)) {
            const si = Math.sign(xm - xf) + ((xm - xf) === 0 ? 1 : 0);
            rat = tol1 * si;
          }
        } else {
          golden = 1;
        }
      }
      if (golden) {
        e = xf >= xm ? a - xf : b - xf;
        rat = goldenMean * e;
      }
      const si = Math.sign(rat) + (rat === 0 ? 1 : 0);
      x = xf + si * Math.max(Math.abs(rat), tol1);
      fu = func(x);
      num += 1;
      if (fu <= fx) {
        if (x >= xf) a = xf; else b = xf;
        fulc = nfc; ffulc = fnfc;
        nfc = xf; fnfc = fx;
        xf = x; fx = fu;
      } else {
        if (x < xf) a = x; else b = x;
        if ((fu <= fnfc) || (nfc === xf)) {
          fulc = nfc; ffulc = fnfc;
          nfc = x; fnfc = fu;
        } else if ((fu <= ffulc) || (fulc === xf) || (fulc === nfc)) {
          fulc = x; ffulc = fu;
        }
      }
      xm = 0.5 * (a + b);
      tol1 = sqrtEps * Math.abs(xf) + xatol / 3.0;
      tol2 = 2.0 * tol1;
      if (num >= maxfun) break;
    }
    return { x: xf, fun: fx };
  }

  /* ---- scalinglab.plan._numeric.argmin_log --------------------------------------------------------- */

  // Global argmin of f(x) over [lo, hi]: a grid of 2,001 points, then bounded Brent between the best point's
  // neighbours, as Python does. With `refit` (a refit of a band) the grid has SL.REFIT_GRID points and a
  // neighbour where f is not finite (a size that cannot reach the loss, a budget with no tokens left) is first
  // moved by bisection to the edge of the finite region: the planner's objectives have one minimum inside that
  // region (docs/page.md), so Brent then finds the same minimum to the same 1e-12 as the dense grid does.
  function argminLog(f, lo, hi, refit) {
    const n = refit ? SL.REFIT_GRID : 2001;
    const step = (hi - lo) / (n - 1);
    let best = Infinity, ib = 0;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = i === n - 1 ? hi : lo + i * step;
      xs[i] = x;
      let y = f(x);
      if (!Number.isFinite(y)) y = Infinity;
      if (y < best) { best = y; ib = i; }
    }
    if (!Number.isFinite(best)) {
      throw new PlanError("The objective must be finite somewhere in the search range; it is not.");
    }
    let a = xs[Math.max(ib - 1, 0)], b = xs[Math.min(ib + 1, n - 1)];
    if (b <= a) return xs[ib];
    if (refit) { a = finiteEdge(f, a, xs[ib]); b = finiteEdge(f, b, xs[ib]); }
    const res = fminbound(f, a, b, 1e-12);
    return res.fun <= best ? res.x : xs[ib];
  }

  // a point between `bad` and `good` (f finite at good) where f is finite, within 2^-30 of the interval of the edge
  // of the finite region (the minimum lies inside that region, so the edge itself need not be found closer)
  function finiteEdge(f, bad, good) {
    if (Number.isFinite(f(bad))) return bad;
    for (let i = 0; i < 30; i++) {
      const mid = 0.5 * (bad + good);
      if (Number.isFinite(f(mid))) good = mid; else bad = mid;
    }
    return good;
  }

  /* ---- quantities as the CLI reads them (scalinglab._units.parse_quantity) ------------------------- */

  const SUFFIX = { "": 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, b: 1e9, B: 1e9, g: 1e9, G: 1e9, t: 1e12, T: 1e12,
    p: 1e15, P: 1e15, e: 1e18, E: 1e18 };
  const QUANTITY = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmMbBgGtTpPeE]?)\s*$/;

  function parseQuantity(text, name) {
    const m = QUANTITY.exec(String(text));
    if (!m) {
      throw new ConfigError(`The ${pyRepr(name)} parameter must be a number, optionally with a suffix K, M, B, T, ` +
        `P (e.g. 70B, 1.4T, 5.76e23). Got ${pyRepr(text)}.`);
    }
    const v = parseFloat(m[1]) * SUFFIX[m[2]];
    if (!Number.isFinite(v)) throw new ConfigError(`The ${pyRepr(name)} parameter must be finite. Got ${pyRepr(text)}.`);
    return v;
  }

  Object.assign(SL, { fmtG, commas, pct0, pyRepr, select, quantileOf, centralInterval, sumQuantile,
    fminbound, argminLog, parseQuantity, REFIT_GRID: 64 });
})(SL);
