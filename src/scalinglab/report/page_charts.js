/* scalinglab planner page, part 6 of 7: the two charts, hand-written SVG (no library, no address).
 *
 * isoflopChart   loss against N along the plan's IsoFLOP curve C = 6·N·D (for a data-constrained plan the
 *                loss with its unique tokens), the law's line, its mean band (the refits' central interval), its
 *                prediction band (refits + run scatter at C), the compute-optimal point and the plan marked; for a
 *                law flagged not identified also the whole range of the refits (dashed)
 * frontierChart  N*(C) of the law with its mean band, the reference models at their 6·N·D, and the plan
 */
"use strict";

(function (SL) {
  const SUP = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function pow10(k) { return "10" + String(k).split("").map((c) => SUP[c]).join(""); }

  function logspace(lo, hi, n) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1)));
    return out;
  }

  function niceTicks(lo, hi) {
    const raw = (hi - lo) / 5, mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * step; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  }

  function logTicks(lo, hi) {
    const out = [], a = Math.ceil(Math.log10(lo) - 1e-9), b = Math.floor(Math.log10(hi) + 1e-9);
    const every = Math.max(1, Math.ceil((b - a + 1) / 8));
    for (let k = a; k <= b; k++) if ((k - a) % every === 0) out.push(k);
    return out;
  }

  // one SVG chart: spec = {w, h, x: {lo, hi, log, label}, y: {...}, areas, lines, dots, legend}
  function chart(spec) {
    const { w, h } = spec, ml = 62, mr = 14, mt = 40, mb = 46;
    const sx = (v) => ml + (w - ml - mr) * (spec.x.log ? (Math.log(v) - Math.log(spec.x.lo)) /
      (Math.log(spec.x.hi) - Math.log(spec.x.lo)) : (v - spec.x.lo) / (spec.x.hi - spec.x.lo));
    const sy = (v) => h - mb - (h - mt - mb) * (spec.y.log ? (Math.log(v) - Math.log(spec.y.lo)) /
      (Math.log(spec.y.hi) - Math.log(spec.y.lo)) : (v - spec.y.lo) / (spec.y.hi - spec.y.lo));
    const pts = (xs, ys) => xs.map((x, i) => `${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`);
    const out = [`<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(spec.title)}">`,
      `<text x="${ml}" y="16" class="ct">${esc(spec.title)}</text>`];
    const xt = spec.x.log ? logTicks(spec.x.lo, spec.x.hi).map((k) => [10 ** k, pow10(k)])
      : niceTicks(spec.x.lo, spec.x.hi).map((v) => [v, SL.fmtG(v, 4)]);
    const yt = spec.y.log ? logTicks(spec.y.lo, spec.y.hi).map((k) => [10 ** k, pow10(k)])
      : niceTicks(spec.y.lo, spec.y.hi).map((v) => [v, SL.fmtG(v, 4)]);
    for (const [v, t] of xt) {
      out.push(`<line class="grid" x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${mt}" y2="${h - mb}"/>`,
        `<text class="tick" x="${sx(v).toFixed(1)}" y="${h - mb + 15}" text-anchor="middle">${t}</text>`);
    }
    for (const [v, t] of yt) {
      out.push(`<line class="grid" x1="${ml}" x2="${w - mr}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}"/>`,
        `<text class="tick" x="${ml - 5}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
    }
    out.push(`<rect class="frame" x="${ml}" y="${mt}" width="${w - ml - mr}" height="${h - mt - mb}"/>`,
      `<text class="al" x="${(ml + w - mr) / 2}" y="${h - 8}" text-anchor="middle">${esc(spec.x.label)}</text>`,
      `<text class="al" transform="translate(14 ${(mt + h - mb) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.y.label)}</text>`);
    // the plot area: a nested svg mapping the same coordinates, which clips what falls outside it
    out.push(`<svg x="${ml}" y="${mt}" width="${w - ml - mr}" height="${h - mt - mb}" ` +
      `viewBox="${ml} ${mt} ${w - ml - mr} ${h - mt - mb}">`);
    for (const a of spec.areas || []) {
      const up = pts(a.xs, a.hi), down = pts(a.xs, a.lo).reverse();
      out.push(`<polygon class="${a.cls}" points="${up.concat(down).join(" ")}"/>`);
    }
    for (const l of spec.lines || []) out.push(`<polyline class="${l.cls}" points="${pts(l.xs, l.ys).join(" ")}"/>`);
    for (const d of spec.dots || []) {
      out.push(`<circle class="${d.cls}" cx="${sx(d.x).toFixed(1)}" cy="${sy(d.y).toFixed(1)}" r="${d.r || 4}">` +
        `<title>${esc(d.title || d.label || "")}</title></circle>`);
    }
    out.push("</svg>");
    placeLabels((spec.dots || []).filter((d) => d.label).map((d) => ({ x: sx(d.x), y: sy(d.y), text: d.label,
      cls: d.lcls || "dl" })), { x0: ml + 2, x1: w - mr - 2, y0: mt + 2, y1: h - mb - 2 }).forEach((l) => out.push(
      `<text class="${l.cls}" x="${l.x.toFixed(1)}" y="${l.y.toFixed(1)}" text-anchor="${l.anchor}">${esc(l.text)}</text>`));
    let lx = ml;  // the legend: one row between the title and the plot
    for (const g of spec.legend || []) {
      out.push(`<rect class="${g.cls}" x="${lx}" y="${mt - 14}" width="14" height="9"/>`,
        `<text class="lg" x="${lx + 18}" y="${mt - 6}">${esc(g.text)}</text>`);
      lx += 28 + g.text.length * 5.6;
    }
    out.push("</svg>");
    return out.join("");
  }

  // labels beside their dots: dots at one place share a label; each label takes the first place around its dot
  // (right, left, above, below, the diagonals, then right or left a line or two up or down) that covers no dot and
  // no label placed before it and stays in the plot; a label with no such place is left out (its dot keeps its name
  // in its tooltip)
  function placeLabels(labels, box) {
    const merged = [];
    for (const l of labels) {
      const same = merged.find((o) => Math.abs(o.x - l.x) < 2 && Math.abs(o.y - l.y) < 2 && o.cls === l.cls);
      if (same) same.text += " / " + l.text; else merged.push(Object.assign({}, l));
    }
    merged.sort((a, b) => (a.cls === "dlp" ? -1 : b.cls === "dlp" ? 1 : a.x - b.x));
    const placed = merged.map((l) => ({ x0: l.x - 4, x1: l.x + 4, y0: l.y - 4, y1: l.y + 4 }));
    const wide = (t, cls) => t.length * (cls === "dlp" ? 6.6 : 5.8);
    const clash = (r) => placed.some((p) => r.x0 < p.x1 && p.x0 < r.x1 && r.y0 < p.y1 && p.y0 < r.y1) ||
      r.x0 < box.x0 || r.x1 > box.x1 || r.y0 < box.y0 || r.y1 > box.y1;
    for (const l of merged) {
      const w = wide(l.text, l.cls), h = 10;
      const tries = [[6, 3, "start"], [-6, 3, "end"], [-w / 2, -7, "start"], [-w / 2, 13, "start"], [5, -6, "start"],
        [-5, -6, "end"], [5, 12, "start"], [-5, 12, "end"], [6, -14, "start"], [-6, -14, "end"], [6, 20, "start"],
        [-6, 20, "end"], [6, -24, "start"], [-6, -24, "end"]];
      for (const [dx, dy, anchor] of tries) {
        const x = l.x + dx, y = l.y + dy, x0 = anchor === "end" ? x - w : x;
        const r = { x0, x1: x0 + w, y0: y - h + 2, y1: y + 2 };
        if (!clash(r)) { placed.push(r); Object.assign(l, { x, y, anchor, placed: true }); break; }
      }
    }
    return merged.filter((l) => l.placed);
  }

  function quantilePair(values, level) { return SL.centralInterval(values, level); }

  // the loss along the plan's IsoFLOP curve, with bands
  function isoflopChart(m, plan, st) {
    const C = plan.flops, dcu = plan.question === "unique-tokens" ? plan.unique_tokens : null;
    const lossAt = (lw, n) => (dcu === null ? SL.loss(lw, n, C / (6 * n))
      : SL.dcLoss(SL.asDataConstrained(lw, m.rd, m.rn), n, C / (6 * n), dcu));
    const nOpt = dcu === null ? SL.computeOptimal(m.law, C)[0] : plan.n_params;
    const lo = Math.min(nOpt, plan.n_params) / 25, hi = Math.max(nOpt, plan.n_params) * 25;
    const xs = logspace(lo, hi, 61), ys = xs.map((n) => lossAt(m.law, n));
    const areas = [], lines = [], legend = [];
    let yAll = ys.slice();
    if (m.samples.length >= 2) {  // the bands at 21 of the sizes: smooth at this width, and a third of the work
      const xb = logspace(lo, hi, 21), sc = m.scatter, meanLo = [], meanHi = [], predLo = [], predHi = [], minL = [], maxL = [];
      const scale = sc ? sc.sigma + sc.kappa * Math.max(0, Math.log10(C / (sc.flops_max === null ? Infinity : sc.flops_max))) : 0;
      const eps = sc ? Float64Array.from(m.noise, (e) => e * scale).sort() : null;
      for (const n of xb) {
        const draws = Float64Array.from(m.samples, (lw) => Math.log(lossAt(lw, n))).filter((v) => Number.isFinite(v));
        draws.sort();
        const q = (1 - m.level) / 2;
        meanLo.push(Math.exp(SL.quantileOf(draws, q))); meanHi.push(Math.exp(SL.quantileOf(draws, 1 - q)));
        minL.push(Math.exp(draws[0])); maxL.push(Math.exp(draws[draws.length - 1]));
        if (eps) { predLo.push(Math.exp(SL.sumQuantile(draws, eps, q))); predHi.push(Math.exp(SL.sumQuantile(draws, eps, 1 - q))); }
      }
      if (eps) {
        areas.push({ xs: xb, lo: predLo, hi: predHi, cls: "bp" });
        legend.push({ cls: "bp", text: `${SL.pct0(m.level)} prediction band` });
        yAll = yAll.concat(predLo, predHi);
      }
      areas.push({ xs: xb, lo: meanLo, hi: meanHi, cls: "bm" });
      legend.push({ cls: "bm", text: `${SL.pct0(m.level)} mean band` });
      yAll = yAll.concat(meanLo, meanHi);
      if (!m.identified || plan.stamp) {
        lines.push({ xs: xb, ys: minL, cls: "rng" }, { xs: xb, ys: maxL, cls: "rng" });
        legend.push({ cls: "rngk", text: "all refits (min–max)" });
      }
    }
    lines.push({ xs, ys, cls: "law" });
    // the axis spans the law and its bands; the refits' extremes (a not-identified law's can be 1e4 nats at the
    // smallest sizes) run along the frame where they leave it, so they never flatten the bands
    const fin = yAll.filter((v) => Number.isFinite(v) && v > 0);
    let ylo = Math.min(...fin), yhi = Math.max(...fin);
    const pad = 0.04 * (yhi - ylo || ylo * 0.1);
    ylo -= pad; yhi += pad;
    for (const line of lines) {
      if (line.cls === "rng") line.ys = line.ys.map((v) => (Number.isFinite(v) ? Math.min(yhi, Math.max(ylo, v)) : v));
    }
    const dots = [{ x: nOpt, y: lossAt(m.law, nOpt), cls: "opt", label: dcu === null ? "compute-optimal" : "",
      title: `compute-optimal at this C: N = ${SL.fmtG(nOpt, 4)}` }];
    if (Math.abs(Math.log(plan.n_params / nOpt)) > 1e-6 || dcu !== null) {
      dots.push({ x: plan.n_params, y: plan.loss, cls: "plan", r: 5, label: "plan", lcls: "dlp",
        title: `plan: N = ${SL.fmtG(plan.n_params, 4)}, loss ${SL.fmtG(plan.loss, 4)}` });
    } else {
      dots[0].cls = "plan"; dots[0].r = 5; dots[0].label = "plan = compute-optimal"; dots[0].lcls = "dlp";
    }
    const what = dcu === null ? "" : `, U = ${SL.fmtG(dcu, 3)} unique tokens`;
    return chart({ w: 440, h: 320, title: `Loss along the IsoFLOP curve C = ${SL.fmtG(C, 4)}${what}`,
      x: { lo, hi, log: true, label: "parameters N (D = C / 6N)" }, y: { lo: ylo, hi: yhi, log: false, label: "loss (nats/token)" },
      areas, lines, dots, legend });
  }

  // N*(C) of the law with its mean band, the reference models and the plan
  function frontierChart(m, data, plan) {
    const cs = data.models.map((x) => x.flops).concat([plan.flops]);
    const lo = Math.min(...cs) / 3, hi = Math.max(...cs) * 3;
    const xs = logspace(lo, hi, 21), ys = xs.map((c) => SL.computeOptimal(m.law, c)[0]);
    const areas = [], legend = [];
    let yAll = ys.concat(data.models.map((x) => x.n_params), [plan.n_params]);
    if (m.samples.length >= 2) {
      const bl = [], bh = [];
      for (const c of xs) {
        const [a, b] = quantilePair(m.samples.map((lw) => SL.computeOptimal(lw, c)[0]), m.level);
        bl.push(a); bh.push(b);
      }
      areas.push({ xs, lo: bl, hi: bh, cls: "bm" });
      legend.push({ cls: "bm", text: `${SL.pct0(m.level)} band of N*(C)` });
      yAll = yAll.concat(bl, bh);
    }
    const fin = yAll.filter((v) => Number.isFinite(v) && v > 0);
    const dots = data.models.map((x) => ({ x: x.flops, y: x.n_params, cls: "ref", r: 3, label: x.name,
      title: `${x.name} (${x.organization}, ${x.year}): N = ${SL.fmtG(x.n_params, 3)}, D = ${SL.fmtG(x.n_tokens, 3)}, ` +
        `6ND = ${SL.fmtG(x.flops, 3)} FLOPs, ${SL.fmtG(x.n_tokens / x.n_params, 3)} tokens/param` }));
    dots.push({ x: plan.flops, y: plan.n_params, cls: "plan", r: 5, label: "plan", lcls: "dlp",
      title: `plan: C = ${SL.fmtG(plan.flops, 4)}, N = ${SL.fmtG(plan.n_params, 4)}` });
    return chart({ w: 440, h: 320, title: "Compute-optimal N*(C); reference models at 6·N·D",
      x: { lo, hi, log: true, label: "training compute C (FLOPs)" },
      y: { lo: Math.min(...fin) / 2, hi: Math.max(...fin) * 2, log: true, label: "parameters N" },
      areas, lines: [{ xs, ys, cls: "law" }], dots, legend });
  }

  Object.assign(SL, { isoflopChart, frontierChart, esc });
})(SL);
