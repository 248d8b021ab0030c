// The family explorer in the page: one conv2 block of ResNeXt, SE-ResNeXt, ResNeSt or Res2Net, its
// counts, its diagram and its cost against the kind's own knob, all computed here (no kernel).
// explorer_common.js comes first in the same module (widgets/page.py joins them).

const KIND_NAMES = { resnext: "ResNeXt", se: "SE-ResNeXt", resnest: "ResNeSt (split attention)",
  res2net: "Res2Net / Res2NeXt" };
const KNOBS = { resnext: ["cardinality", "cardinality C"], se: ["cardinality", "cardinality C"],
  resnest: ["radix", "radix R"], res2net: ["scale", "scale s"] };
const shortName = (kind) => KIND_NAMES[kind].split(" (")[0];

function validRadixes(c, d, cfg) {
  return cfg.radixes.filter((r) => {
    try { checkSplitAttention(c * d, c, r); return true; } catch (e) { return false; }
  });
}

function familyNumbers(kind, c, d, radix, scale, cfg) { // widgets/family_explorer.py: family_numbers
  const n = cfg.block_channels, widest = c * d * (kind === "res2net" ? scale : 1);
  if (widest > cfg.max_inner_width) {
    const what = kind === "res2net" ? `s·C·d = ${scale}·${c}·${d}` : `C·d = ${c}·${d}`;
    throw new Error(`${what} = ${fmt(widest)} channels inside one conv2 block is far too wide: ResNeXt-101 `
      + `(64×4d, Xie et al. 2017, Table 4) has 256 there, and the explorer stops at ${fmt(cfg.max_inner_width)}. `
      + `Lower C or d${kind === "res2net" ? " or s." : "."}`);
  }
  const [params, macs] = blockComplexity(kind, n, c, d, radix, scale, cfg.block_size);
  const [baseParams, baseMacs] = resnextBlockComplexity(n, c, d, cfg.block_size);
  const [resnetParams, resnetMacs] = resnextBlockComplexity(n, 1, 64, cfg.block_size);
  return { kind, cardinality: c, bottleneck_width: d, radix: kind === "resnest" ? radix : null,
    scale: kind === "res2net" ? scale : null, params, macs, resnext_params: baseParams, resnext_macs: baseMacs,
    params_ratio: params / resnetParams, macs_ratio: macs / resnetMacs };
}

// The diagram of the block: which layout (Python's, per key) and the labels of its nodes, in order.
function familyDiagram(kind, c, d, r, s, n) {
  const w = c * d, tail = ["", "identity", `${n}-d out`];
  if (kind === "resnext") {
    return { key: "resnext", title: "(c) grouped convolution", labels: blockLabels("c", c, d, n) };
  }
  if (kind === "se") {
    const reduced = seChannels(n);
    return { key: "se", title: "SE-ResNeXt block", labels: [`${n}-d in`, convLabel(n, 1, w),
      convLabel(w, 3, w, `grp=${c}`), convLabel(w, 1, n), "global pool", fcLabel(n, reduced), fcLabel(reduced, n),
      "sigmoid", "", "scale", ...tail] };
  }
  if (kind === "resnest") {
    const a = checkSplitAttention(w, c, r), grp = c > 1 ? `grp=${c}` : "";
    return { key: `resnest-${r <= 3 ? r : "n"}`, title: "ResNeSt block (split attention)", labels: [`${n}-d in`,
      convLabel(n, 1, w), convLabel(w, 3, w * r, `grp=${c * r}`), `${r} split${r > 1 ? "s" : ""} of ${w}`,
      "sum of splits", "global pool", fcLabel(w, a, grp), fcLabel(a, w * r, grp),
      r > 1 ? "softmax over radix" : "sigmoid", r > 1 ? "weighted sum of splits" : "scale", ...(r > 3 ? ["…"] : []),
      convLabel(w, 1, n), ...tail] };
  }
  const drawn = s <= 4 ? s - 1 : 3, part = convLabel(w, 3, w, c > 1 ? `grp=${c}` : "");
  const labels = [`${n}-d in`, convLabel(n, 1, w * s)];
  for (let j = 0; j < drawn; j++) labels.push(...(j === 0 ? [part] : [part, ""])); // each later part adds a ⊕
  if (s > 4) labels.push("…");
  labels.push("concatenate", convLabel(w * s, 1, n), ...tail);
  return { key: `res2net-${s <= 4 ? s : "n"}`, title: c > 1 ? "Res2NeXt block" : "Res2Net block", labels };
}

function describeKind(nb, cfg) { // one sentence on what the kind's knob does (family_explorer.py: describe)
  const { kind, cardinality: c, bottleneck_width: d } = nb;
  if (kind === "resnext") {
    return `group width C·d = ${c}·${d} = <b>${fmt(c * d)}</b> channels in the grouped 3×3 `
      + `(${plural(c, "group")} of ${d}).`;
  }
  if (kind === "se") {
    return `the SE gate squeezes ${cfg.block_channels} channels to ${seChannels(cfg.block_channels)} and back `
      + `(r = 16): <b>+${fmt(nb.params - nb.resnext_params)}</b> params but only +${fmt(nb.macs - nb.resnext_macs)} `
      + "MACs, because its two fc layers see one pooled value per channel.";
  }
  if (kind === "resnest") {
    const r = nb.radix;
    return `K = ${c} cardinal group${c > 1 ? "s" : ""} × R = ${r} split${r > 1 ? "s" : ""}: the 3×3 conv has K·R = `
      + `<b>${c * r}</b> groups and R·K·d = ${fmt(r * c * d)} output channels, each split reading d/R = `
      + `${Math.floor(d / r)} of a group's ${d}; `
      + (r > 1 ? "a softmax over the splits weighs them." : "with R = 1 a sigmoid gates each channel.");
  }
  const s = nb.scale;
  return `s = ${s} parts of w = C·d = ${c * d} channels; ${s - 1} chained 3×3 convs`
    + (c > 1 ? ` of cardinality ${c}` : "") + `, so the 1×1 convs are s·w = <b>${fmt(s * c * d)}</b> wide.`;
}

function familyReadout(nb, cfg) {
  const [resnetParams, resnetMacs] = resnextBlockComplexity(cfg.block_channels, 1, 64, cfg.block_size);
  const columns = [[shortName(nb.kind), nb.params, nb.macs]];
  if (nb.kind !== "resnext") {
    columns.push([`ResNeXt, ${nb.cardinality}×${nb.bottleneck_width}d`, nb.resnext_params, nb.resnext_macs]);
  }
  columns.push(["ResNet bottleneck", resnetParams, resnetMacs]);
  const cells = (f) => columns.map((col) => `<td>${f(...col)}</td>`).join("");
  const heads = columns.map((col) => `<th>${escapeHtml(col[0])}</th>`).join("");
  const ratios = (p, m) => `${(p / resnetParams).toFixed(2)}× params, ${(m / resnetMacs).toFixed(2)}× MACs`;
  return `<table><tr><th>one conv2 block (256-d, 56×56)</th>${heads}</tr>`
    + `<tr><th>params</th>${cells((_, p) => fmt(p))}</tr>`
    + `<tr><th>MACs</th>${cells((_, p, m) => `${fmt(m)} (${(m / 1e6).toFixed(1)} M)`)}</tr>`
    + `<tr><th>vs ResNet</th>${cells((_, p, m) => ratios(p, m))}</tr>`
    + `</table><p>${describeKind(nb, cfg)}</p>`;
}

function knobCurve(nb, cfg) { // [(knob value, params ratio, MACs ratio)] over the kind's knob
  const { kind, cardinality: c, bottleneck_width: d } = nb, n = cfg.block_channels;
  let configs;
  if (kind === "resnext" || kind === "se") {
    configs = cfg.cardinalities.filter((k) => k * d <= cfg.max_inner_width).map((k) => [k, d, 2, 4]);
  }
  else if (kind === "resnest") configs = validRadixes(c, d, cfg).map((r) => [c, d, r, 4]);
  else configs = cfg.scales.filter((s) => s * c * d <= cfg.max_inner_width).map((s) => [c, d, 2, s]);
  const at = { resnext: 0, se: 0, resnest: 2, res2net: 3 }[kind];
  const [resnetParams, resnetMacs] = resnextBlockComplexity(n, 1, 64, cfg.block_size);
  return configs.map((config) => {
    const [p, m] = blockComplexity(kind, n, ...config, cfg.block_size);
    return [config[at], p / resnetParams, m / resnetMacs];
  });
}

function costPlot(nb, cfg) {
  const [name, label] = KNOBS[nb.kind], points = knobCurve(nb, cfg), knob = nb[name];
  const ticks = { cardinality: cfg.cardinalities, radix: cfg.radixes, scale: cfg.scales }[name];
  const log = name === "cardinality";
  const p = plot({ width: 330, height: 290, xlog: log, xlim: log ? [0.7, ticks[ticks.length - 1] * 1.4]
    : [ticks[0] - 0.5, ticks[ticks.length - 1] + 0.5], ylim: [0.005, 800], xticks: ticks.map((t) => [t, String(t)]),
  yticks: [0.01, 0.1, 1, 10, 100].map((v) => [v, `${v}×`]), xlabel: label, ylabel: "one block / ResNet's bottleneck",
  title: `${shortName(nb.kind)}: cost as ${label.split(" ").pop()} changes`, legend: "upper left",
  hlines: [{ y: 1, color: "#8c8c8c", label: "ResNet bottleneck" }], series: [
    { xs: points.map((q) => q[0]), ys: points.map((q) => q[1]), color: "#0072B2", line: true, label: "params" },
    { xs: points.map((q) => q[0]), ys: points.map((q) => q[2]), color: "#E69F00", marker: "s", line: true,
      label: "MACs" },
    { xs: [knob], ys: [nb.params_ratio], color: "#0072B2", size: 6, hollow: true },
    { xs: [knob], ys: [nb.macs_ratio], color: "#E69F00", marker: "s", size: 6, hollow: true }] });
  return plotsSvg([p], `Cost of one ${shortName(nb.kind)} block against ${label}, relative to ResNet's bottleneck: `
    + `${nb.params_ratio.toFixed(2)}× the params and ${nb.macs_ratio.toFixed(2)}× the MACs at `
    + `${label.split(" ").pop()} = ${knob}.`);
}

// Everything the page shows for a state. wanted: the radix the student last chose (kept when it fits).
export function compute(state, cfg) {
  const { kind, cardinality: c, bottleneck_width: d, scale } = state;
  const out = { radix: state.radix, radixes: cfg.radixes, note: "", numbers: null, error: "" };
  try {
    if (kind === "resnest") {
      const fits = validRadixes(c, d, cfg);
      out.radixes = fits;
      if (!fits.length) checkSplitAttention(c * d, c, 1); // says why no radix works
      const wanted = state.wanted_radix;
      out.radix = fits.includes(wanted) ? wanted
        : fits.reduce((best, r) => (Math.abs(r - wanted) < Math.abs(best - wanted)
          || (Math.abs(r - wanted) === Math.abs(best - wanted) && r > best) ? r : best));
      if (out.radix !== wanted) {
        out.note = `R = ${wanted} does not fit C = ${c}, d = ${d}: each of the R splits of a cardinal group needs d/R `
          + `whole channels (and C must divide the attention width), so the radix is ${out.radix} for now, and goes `
          + `back to ${wanted} when it fits again. With these values the slider offers R = ${fits.join(", ")}.`;
      }
    }
    out.numbers = familyNumbers(kind, c, d, out.radix, scale, cfg);
  } catch (e) {
    out.error = e.message;
    out.note = "";
    return out;
  }
  Object.assign(out, familyDiagram(kind, c, d, out.radix, scale, cfg.block_channels));
  out.description = describeDiagram(out.title, cfg.layouts[out.key], out.labels);
  return out;
}

function render({ model, el }) {
  const cfg = model.get("config");
  let busy = false; // our own model.set: its change event must not draw a second time
  const send = (values, event) => {
    busy = true;
    for (const [name, value] of Object.entries(values)) model.set(name, value);
    model.save_changes();
    busy = false;
    draw(event);
  };
  const kind = html("select", {}, cfg.kinds.map((k) => html("option", { value: k }, KIND_NAMES[k])));
  kind.addEventListener("change", (e) => { // a new kind loads its paper configuration
    const p = cfg.presets[kind.value];
    send({ kind: kind.value, cardinality: p.cardinality, bottleneck_width: p.bottleneck_width,
      ...(p.scale ? { scale: p.scale } : {}), ...(p.radix ? { radix: p.radix, wanted_radix: p.radix } : {}) }, e);
  });
  const c = rangeOver(cfg.cardinalities, model.get("cardinality"), "cardinality C",
    (v, e) => send({ cardinality: v }, e));
  const widths = Array.from({ length: cfg.max_width }, (_, i) => i + 1);
  const d = rangeOver(widths, model.get("bottleneck_width"), "width d", (v, e) => send({ bottleneck_width: v }, e));
  const r = rangeOver(cfg.radixes, model.get("radix"), "radix R", (v, e) => send({ radix: v, wanted_radix: v }, e));
  const s = rangeOver(cfg.scales, model.get("scale"), "scale s", (v, e) => send({ scale: v }, e));
  const radixControl = control("radix R", r.input, r.shown), scaleControl = control("scale s", s.input, s.shown);
  const parts = mount(el, "family", [html("div", { class: "rx-row" }, [control("block", kind)]),
    html("div", { class: "rx-row" }, [control("cardinality C", c.input, c.shown),
      control("width d", d.input, d.shown)]),
    html("div", { class: "rx-row" }, [radixControl, scaleControl])]);
  const { root } = parts;

  function draw(event) {
    const state = { kind: model.get("kind"), cardinality: model.get("cardinality"),
      bottleneck_width: model.get("bottleneck_width"), radix: model.get("radix"), scale: model.get("scale"),
      wanted_radix: model.get("wanted_radix") };
    const out = compute(state, cfg);
    if (state.kind === "resnest" && !out.error && out.radix !== state.radix) {
      busy = true;
      model.set("radix", out.radix); // the radix moved to one that fits; Python sees it too
      model.save_changes();
      busy = false;
      state.radix = out.radix;
    }
    kind.value = state.kind;
    c.set(state.cardinality);
    d.set(state.bottleneck_width);
    r.setValues(out.radixes.length ? out.radixes : cfg.radixes);
    r.set(state.radix);
    r.input.disabled = state.kind === "resnest" && out.radixes.length === 0;
    s.set(state.scale);
    radixControl.hidden = state.kind !== "resnest";
    scaleControl.hidden = state.kind !== "res2net";
    root.dataset.state = JSON.stringify(state);
    if (out.error) {
      showError(parts, out.error, "params and MACs: no block for these values");
    } else {
      showNumbers(parts, out.numbers, familyReadout(out.numbers, cfg), out.note,
        drawDiagram(cfg.layouts[out.key], out.title, out.labels, out.description), costPlot(out.numbers, cfg));
    }
    stamp(root, event);
  }
  for (const name of ["kind", "cardinality", "bottleneck_width", "radix", "scale", "wanted_radix"]) {
    model.on(`change:${name}`, () => { if (!busy) draw(null); });
  }
  draw(null);
  return () => root.remove();
}

export default { render };
