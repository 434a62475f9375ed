/* scalinglab planner page, part 7 of 7: the controls, the outputs, the permalink and the export.
 *
 * Every change of a control re-asks the question (SL.ask) and redraws the page synchronously; the time of each
 * update (ms, from the event to the redrawn page) is kept in scalinglab.timings. window.scalinglab is the page's
 * small interface for scripts and tests: set(state), state(), plan() (the exported JSON), error(), timings.
 */
"use strict";

(function (SL) {
  const $ = (id) => document.getElementById(id);
  const { fmtG, esc } = SL;
  const data = JSON.parse($("sl-data").textContent);
  const m = SL.model(data);
  const E = data.law.coefficients[0];

  /* ---- number formats (4 significant digits, what the page's reader sees) ------------------------- */
  const si = (x) => {
    if (x === null || !Number.isFinite(x)) return "n/a";
    if (x === 0) return "0";
    const ax = Math.abs(x);
    for (const [div, suf] of [[1e15, "P"], [1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]) {
      if (ax >= div) return (x / div).toPrecision(4) + suf;
    }
    return x.toPrecision(4);
  };
  const ex = (x) => (x === null || !Number.isFinite(x) ? "n/a" : x.toExponential(3).replace("e+", "e"));
  const n4 = (x) => (x === null || !Number.isFinite(x) ? "n/a" : (Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0)
    ? ex(x) : x.toPrecision(4)));
  const usd = (x) => (x === null || !Number.isFinite(x) ? "n/a" : "$" + si(x));
  const pct1 = (x) => (Math.abs(x) < 5e-4 ? "0.0" : (100 * x).toFixed(1)) + "%";  // no "-0.0%" from rounding noise

  /* ---- controls ------------------------------------------------------------------------------------ */
  // log: the slider moves log10 of the value; blank: an empty box means null (the default it names)
  const FIELDS = {
    flops: { label: "Training compute C", unit: "FLOPs", log: true, min: 17, max: 28, step: 0.01 },
    days: { label: "Days of training", unit: "days", log: true, min: -1, max: 3, step: 0.01 },
    target_loss: { label: "Target loss", unit: "nats/token", min: E + 0.005, max: E + 2.0, step: 0.001 },
    inference_tokens: { label: "Lifetime inference tokens T", unit: "tokens", log: true, min: 8, max: 17, step: 0.01, zero: true },
    inference_mfu: { label: "Inference MFU (empty: the training MFU)", unit: "", min: 0.01, max: 1, step: 0.01, blank: true },
    unique_tokens: { label: "Unique tokens U", unit: "tokens", log: true, min: 7, max: 15, step: 0.01 },
    usd_per_hour: { label: "Price per GPU-hour (empty: the catalogue's)", unit: "$", min: 0, max: 20, step: 0.01, blank: true },
    gpus: { label: "Number of GPUs", unit: "GPUs", log: true, min: 0, max: 6, step: 0.01, whole: true },
    mfu: { label: "Model FLOPs utilisation (MFU)", unit: "", min: 0.05, max: 1, step: 0.01 },
  };
  const RADIOS = ["question", "quality", "budget", "hold", "objective"];
  // a law fitted on small runs opens a decade past its largest run rather than at 1e22 (the slider reaches it)
  const fitMax = data.fit && data.fit.flops_max;
  const START = fitMax && fitMax < 1e21 ? 10 ** Math.ceil(Math.log10(10 * fitMax)) : 1e22;
  FIELDS.flops.min = Math.min(FIELDS.flops.min, Math.floor(Math.log10(START)) - 2);
  const DEFAULTS = { question: "compute", quality: "budget", budget: "flops", flops: START, days: 30, gpus: 256, mfu: 0.4,
    gpu: data.constants.default_gpu, usd_per_hour: null, target_loss: Number((E + 0.4).toFixed(3)), inference_tokens: 1e12,
    hold: "loss", objective: "flops", inference_mfu: null, unique_tokens: 1e11 };

  function shown(v, f) { return v === null ? "" : (f.whole ? String(v) : fmtG(v, 6)); }

  function buildField(key) {
    const f = FIELDS[key], box = $("f-" + key);
    box.className = "row";
    box.innerHTML = `<label for="i-${key}">${esc(f.label)}</label><input type="range" id="r-${key}" min="${f.min}" ` +
      `max="${f.max}" step="${f.step}" aria-label="${esc(f.label)} slider"><input class="num" type="text" id="i-${key}" ` +
      `spellcheck="false">`;
    $("r-" + key).addEventListener("input", (ev) => {
      const s = parseFloat(ev.target.value);
      let v = f.log ? 10 ** s : s;
      if (f.whole) v = Math.round(v);
      $("i-" + key).value = shown(f.log && !f.whole ? Number(v.toPrecision(3)) : v, f);
      update();
    });
    $("i-" + key).addEventListener("input", () => { syncSlider(key); update(); });
  }

  function syncSlider(key) {
    const f = FIELDS[key], text = $("i-" + key).value.trim();
    try {
      if (text === "") return;
      const v = SL.parseQuantity(text, key);
      if (v > 0 || !f.log) $("r-" + key).value = String(f.log ? Math.log10(v) : v);
    } catch (e) { /* the update names the field */ }
  }

  function readField(key) {
    const f = FIELDS[key], box = $("i-" + key), text = box.value.trim();
    box.classList.remove("invalid");
    try {
      if (text === "" && f.blank) return null;
      const v = SL.parseQuantity(text, key);
      if (f.whole && !Number.isInteger(v)) {
        throw new SL.ConfigError(`The '${key}' parameter must be a whole number. Got ${SL.pyRepr(text)}.`);
      }
      return v;
    } catch (e) { box.classList.add("invalid"); throw e; }
  }

  function readState() {
    const st = {};
    for (const r of RADIOS) st[r] = (document.querySelector(`input[name=${r}]:checked`) || {}).value;
    st.gpu = $("i-gpu").value;
    const errors = [];
    for (const key of Object.keys(FIELDS)) {
      try { st[key] = readField(key); } catch (e) { errors.push(e); }
    }
    return [st, errors];
  }

  function writeState(st) {
    for (const r of RADIOS) {
      if (st[r] !== undefined) { const el = document.querySelector(`input[name=${r}][value="${st[r]}"]`); if (el) el.checked = true; }
    }
    if (st.gpu !== undefined) $("i-gpu").value = st.gpu;
    for (const key of Object.keys(FIELDS)) {
      if (st[key] !== undefined) { $("i-" + key).value = shown(st[key], FIELDS[key]); syncSlider(key); }
    }
  }

  /* ---- permalink: the state in location.hash -------------------------------------------------------- */
  function toHash(st) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(st)) p.set(k, v === null ? "" : String(v));
    return "#" + p.toString();
  }

  function fromHash(hash) {
    const st = {}, p = new URLSearchParams(String(hash || "").replace(/^#/, ""));
    for (const [k, v] of p.entries()) {
      if (RADIOS.includes(k) || k === "gpu") st[k] = v;
      else if (k in FIELDS) st[k] = v === "" ? null : Number(v);
    }
    return st;
  }

  /* ---- outputs ------------------------------------------------------------------------------------- */
  let last = null;

  function band(iv, f) {
    if (!iv || Math.abs(iv.high - iv.low) <= 1e-9 * Math.abs(iv.low)) return "";
    return `${f(iv.low)} – ${f(iv.high)}`;
  }

  function costBand(plan, cost, key, f) {
    const iv = plan.intervals.flops;
    if (!iv || Math.abs(iv.high - iv.low) <= 1e-9 * Math.abs(iv.low)) return "";
    const per = cost[key] / cost.flops;
    return `${f(iv.low * per)} – ${f(iv.high * per)}`;
  }

  function rows(j, plan) {
    const iv = j.intervals, ranges = plan.ranges || {}, showRange = !m.identified || !!plan.refused;
    const out = [];
    const row = (id, label, v, f, unit, b, rk) => out.push(`<tr><td>${esc(label)}</td><td class="v" id="out-${id}" ` +
      `data-v="${v}">${f(v)}</td><td class="u">${esc(unit)}</td><td class="iv" id="iv-${id}">${b || ""}</td>` +
      (showRange ? `<td class="rg">${ranges[rk] ? band({ low: ranges[rk][0], high: ranges[rk][1] }, f) : ""}</td>` : "") + "</tr>");
    const grp = (t) => out.push(`<tr class="grp"><td colspan="${showRange ? 5 : 4}">${esc(t)}</td></tr>`);
    out.push(`<tr><th></th><th>plan</th><th></th><th>${esc(SL.pct0(m.level))} band</th>${showRange ? "<th>all refits (min – max)</th>" : ""}</tr>`);
    grp("model and data");
    row("n_params", "Parameters N", j.n_params, si, "params", band(iv.n_params, si), "n_params");
    row("n_tokens", "Training tokens D", j.n_tokens, si, "tokens", band(iv.n_tokens, si), "n_tokens");
    row("tokens_per_param", "Tokens per parameter D/N", j.tokens_per_param, n4, "", band(iv.tokens_per_param, n4), "tokens_per_param");
    row("flops", "Training compute C = 6·N·D", j.flops, ex, "FLOPs", band(iv.flops, ex), "flops");
    if (j.question === "unique-tokens") {
      row("epochs", "Epochs over the unique tokens", j.epochs, n4, "", "");
      row("effective_tokens", "Effective tokens D′", j.effective_tokens, si, "tokens", "");
      row("effective_params", "Effective parameters N′", j.effective_params, si, "params", "");
    }
    if (j.question === "inference") {
      row("inference_flops", "Inference compute 2·N·T", j.inference_flops, ex, "FLOPs", "");
      row("total_flops", "Training + inference compute", j.total_flops, ex, "FLOPs", band(iv.total_flops, ex), "total_flops");
    }
    grp("loss");
    row("loss", "Loss, the law's mean (mean band)", j.loss, n4, "nats/token", band(iv.loss, n4), "loss");
    row("loss_new_run", "Loss of one run trained so (prediction band)", j.loss, n4, "nats/token", band(iv.loss_new_run, n4));
    const c = j.cost;
    grp(`cost on ${c.n_gpus} × ${c.gpu} at MFU ${c.mfu}`);
    row("gpu_hours", "GPU-hours", c.gpu_hours, si, "GPU-h", costBand(plan, c, "gpu_hours", si));
    row("wall_days", "Wall-clock time", c.wall_days, n4, "days", costBand(plan, c, "wall_days", n4));
    row("usd", "Training cost", c.usd, usd, `at $${c.usd_per_hour}/GPU-h`, costBand(plan, c, "usd", usd));
    row("energy_kwh", "Energy (GPU board power)", c.energy_kwh, si, "kWh", costBand(plan, c, "energy_kwh", si));
    if (c.inference_gpu_hours !== undefined) {
      row("inference_gpu_hours", "Serving GPU-hours (same GPUs and MFU)", c.inference_gpu_hours, si, "GPU-h", "");
      row("inference_usd", "Serving cost", c.inference_usd, usd, "", "");
    }
    const mem = j.memory;
    grp(`memory (${mem.architecture.n_layers} layers × d_model ${mem.architecture.d_model})`);
    row("train_gb", "Training memory per GPU (ZeRO-3)", mem.training.per_gpu_gb, n4,
      `GB of ${mem.training.gpu_memory / 1e9}: ${mem.training.fits ? "fits" : "does not fit"}`, "");
    row("min_gpus", "Fewest GPUs to train (power of two)", mem.min_gpus_to_train, (v) => (v === null ? "none" : String(v)), "GPUs", "");
    row("infer_gb", "Serving memory, batch 1", mem.inference.per_gpu_gb, n4, `GB: ${mem.inference.fits ? "fits" : "does not fit"}`, "");
    const hp = j.hyperparams;
    if (hp) {
      grp(`hyperparameters (${hp.rule})`);
      const hb = (x, f) => (x ? `${f(x[0])} – ${f(x[1])}` : "");
      row("learning_rate", "Peak learning rate", hp.learning_rate, n4, "", hb(hp.learning_rate_interval, n4));
      row("batch_tokens", "Batch size", hp.batch_tokens, si, "tokens", hb(hp.batch_tokens_interval, si));
      if (hp.batch_sequences !== null) row("batch_sequences", `Batch size (sequences of ${hp.context})`, hp.batch_sequences, n4, "sequences", hb(hp.batch_sequences_interval, n4));
    }
    return out.join("");
  }

  function render(r) {
    const j = r.json, plan = r.plan;
    $("stamp").hidden = !j.stamp;
    $("banner-plan").hidden = !plan.refused;
    if (plan.refused) {
      $("banner-plan").innerHTML = `<b>NOT IDENTIFIED at this budget.</b> ${esc(plan.refused)} <code>scalinglab plan</code> ` +
        "refuses this plan unless given --allow-unidentified; the page plans it as that flag does: stamped, not to be relied on.";
    }
    $("banner-flat").hidden = !plan.flat;
    if (plan.flat) $("banner-flat").textContent = plan.flat;
    const held = j.hold ? `, ${j.hold} held` : "";
    $("headline").textContent = `${j.question}${held} plan under law ${j.law}`;
    $("out").innerHTML = rows(j, plan);
    const ref = j.reference;
    $("reference").innerHTML = ref ? `<b>Reference</b> (${esc(ref.what)}): N = ${si(ref.n_params)}, D = ${si(ref.n_tokens)}, ` +
      `${n4(ref.tokens_per_param)} tokens/param` + (ref.loss !== undefined ? `, loss ${n4(ref.loss)}` : "") +
      (ref.fraction_saved !== undefined ? `; this plan saves ${pct1(ref.fraction_saved)} of the training + ` +
        `inference compute and trains ${pct1(ref.fraction_flops_added)} longer` : "") +
      (ref.loss_given_up !== undefined ? `; this plan gives up ${n4(ref.loss_given_up)} nats of loss to serve T` : "") : "";
    $("chart-iso").innerHTML = SL.isoflopChart(m, j, plan);
    $("chart-frontier").innerHTML = SL.frontierChart(m, data, j);
    $("sweep-card").hidden = !j.sweep;
    if (j.sweep) {
      const key = j.hold === "compute" ? "loss_given_up" : "fraction_saved";
      $("sweep").innerHTML = `<tr><th>lifetime tokens T</th><th>N</th><th>D</th><th>tokens/param</th><th>loss</th>` +
        `<th>${key === "fraction_saved" ? "compute saved" : "loss given up"}</th></tr>` + j.sweep.map((s) =>
        `<tr><td>${si(s.inference_tokens)}</td><td>${si(s.n_params)}</td><td>${si(s.n_tokens)}</td>` +
        `<td>${n4(s.tokens_per_param)}</td><td>${n4(s.loss)}</td><td>${key === "fraction_saved"
          ? pct1(s.fraction_saved) : n4(s.loss_given_up)}</td></tr>`).join("") +
        (j.example.implied_inference_tokens !== null ? `<tr><td colspan="6">${esc(j.example.model)} ` +
          `(${si(j.example.n_params)} params on ${si(j.example.n_tokens)} tokens) is optimal for T = ` +
          `${si(j.example.implied_inference_tokens)} under this law</td></tr>` : "");
    }
    const notes = j.notes.concat(j.hyperparams ? [j.hyperparams.inputs_note, ...j.hyperparams.outside] : []);
    $("notes").innerHTML = notes.map((n) => `<li>${esc(n)}</li>`).join("");
    if (!$("json").hidden) $("json").textContent = SL.jsonText(j);
  }

  // the control an error names ("The 'flops' parameter ...", "The '--days' budget ..."), marked beside the message
  const NAMED = { train_mfu: "mfu", "--gpus": "gpus", "--flops": "flops", "--days": "days", n_gpus: "gpus" };

  function showError(e) {
    const named = /The '([-a-z_]+)'/.exec(e.message);
    const key = named ? (NAMED[named[1]] || named[1].replace(/^-+/, "")) : null;
    if (key && $("i-" + key)) $("i-" + key).classList.add("invalid");
    $("err").hidden = false;
    $("err").textContent = "error: " + e.message;
    for (const id of ["out", "reference", "chart-iso", "chart-frontier", "sweep", "notes", "headline"]) $(id).innerHTML = "";
    for (const id of ["stamp", "banner-plan", "banner-flat", "sweep-card"]) $(id).hidden = true;
    last = null;
  }

  function visibility(st) {
    const q = st.question, inf = q === "inference";
    $("g-quality").hidden = !inf;
    const budget = q === "compute" || q === "unique-tokens" || (inf && st.quality === "budget");
    $("g-budget").hidden = !budget;
    $("f-flops").hidden = st.budget !== "flops";
    $("f-days").hidden = st.budget !== "days";
    $("f-target_loss").hidden = !(q === "target-loss" || (inf && st.quality === "target"));
    $("g-inference").hidden = !inf;
    $("g-hold").hidden = st.quality === "target";
    $("f-inference_mfu").hidden = st.objective !== "usd";
    $("g-unique").hidden = q !== "unique-tokens";
  }

  const timings = [];
  let hashTimer = null;

  function update() {
    const t0 = performance.now();
    const [st, errors] = readState();
    visibility(st);
    const g = data.gpus.find((x) => x.name === st.gpu);
    if (g) {
      $("i-usd_per_hour").placeholder = String(g.usd_per_hour);
      if (st.usd_per_hour === null) $("r-usd_per_hour").value = String(g.usd_per_hour);
    }
    $("permalink-text").value = toHash(st);
    clearTimeout(hashTimer);  // the address follows once the controls rest (browsers throttle history updates)
    hashTimer = setTimeout(() => {
      try { history.replaceState(null, "", toHash(st)); } catch (e) { /* a browser that refuses it for files */ }
    }, 150);
    try {
      if (errors.length) throw errors[0];
      if (st.quality === "target" && st.hold === "compute") st.hold = "loss";  // the hold control is hidden then
      const r = SL.ask(m, data, st);
      $("err").hidden = true;
      last = r;
      render(r);
    } catch (e) {
      if (!(e instanceof SL.PlanError || e instanceof SL.ConfigError)) throw e;
      showError(e);
    }
    timings.push(performance.now() - t0);
  }

  function download() {
    if (!last) return;
    const blob = new Blob([SL.jsonText(last.json) + "\n"], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "plan.json";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  /* ---- start ----------------------------------------------------------------------------------------- */
  function header() {
    const f = data.fit, id = f.identification, c = data.law.coefficients;
    $("law-name").textContent = data.law.name;
    const refits = f.n_samples ? `${SL.commas(f.n_samples)} bootstrap refits (${SL.commas(f.n_carried)} carried, as the planner thins them)` : "no bootstrap refits";
    $("law-line").textContent = `${data.law.formula}: ${id.status}; ${f.n_runs ? SL.commas(f.n_runs) + " runs fitted; " : ""}` +
      `${refits}${f.dataset ? "; data " + f.dataset : ""}. Every number is recomputed here, in the page, with the ` +
      "formulas of scalinglab plan.";
    const items = [["formula", data.law.formula], ["coefficients", `E = ${fmtG(c[0], 4)}, A = ${fmtG(c[1], 4)}, B = ${fmtG(c[2], 4)}, ` +
      `α = ${fmtG(c[3], 4)}, β = ${fmtG(c[4], 4)}`], ["citation", data.law.citation], ["notes", data.law.notes],
      ["data", [f.dataset, f.data_citation].filter(Boolean).join(": ")], ["runs fitted", f.n_runs ? SL.commas(f.n_runs) : ""],
      ["bootstrap refits", refits], ["identification", `${id.status}${id.reasons.length ? ": " + id.reasons.join("; ") : ""} (${id.meaning})`],
      ["run scatter", f.scatter ? `σ = ${fmtG(f.scatter.sigma, 4)} in log loss, ${f.scatter.df} df, +${fmtG(f.scatter.kappa, 3)} per decade beyond ` +
        `C = ${fmtG(f.scatter.flops_max || Infinity, 3)}` : "unknown: no prediction band"],
      ["bands", `central ${SL.pct0(f.level)} intervals; mean band: ${data.constants.bands.mean}; prediction band: ${data.constants.bands.prediction}`]];
    $("prov").innerHTML = items.filter(([, v]) => v).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
    if (!m.identified) {
      $("banner-law").hidden = false;
      $("banner-law").innerHTML = `<b>NOT IDENTIFIED.</b> The law ${esc(data.law.name)} is not identified by its runs: ` +
        `${esc(id.reasons.join("; "))}. ${esc(id.fix)} <code>scalinglab plan</code> refuses it unless given ` +
        "--allow-unidentified; this page plans with it as that flag does, stamps every plan NOT IDENTIFIED, and draws " +
        "the bands at full width: beside the central band, the whole range of the refits (table column and dashed lines).";
    }
  }

  function start() {
    $("i-gpu").innerHTML = data.gpus.map((g) => `<option value="${esc(g.name)}">${esc(g.name)} — ` +
      `${fmtG(g.peak_flops / 1e12, 4)} TFLOP/s, ${g.memory_gb} GB, $${g.usd_per_hour}/h${g.price_estimated ? " (est.)" : ""}</option>`).join("");
    for (const key of Object.keys(FIELDS)) buildField(key);
    header();
    writeState(Object.assign({}, DEFAULTS, fromHash(location.hash)));
    for (const r of RADIOS) document.querySelectorAll(`input[name=${r}]`).forEach((el) => el.addEventListener("change", update));
    $("i-gpu").addEventListener("change", update);
    $("b-export").addEventListener("click", download);
    $("b-show").addEventListener("click", () => { $("json").hidden = !$("json").hidden; if (last) $("json").textContent = SL.jsonText(last.json); });
    window.addEventListener("hashchange", () => { writeState(fromHash(location.hash)); update(); });
    update();
  }

  window.scalinglab = {
    set(st) { writeState(st); update(); return last ? last.json : null; },
    state() { return readState()[0]; },
    plan() { return last ? JSON.parse(SL.jsonText(last.json)) : null; },
    error() { return $("err").hidden ? null : $("err").textContent; },
    timings,
  };
  start();
})(SL);
