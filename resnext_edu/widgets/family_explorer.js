// The family explorer in the page: one conv2 block of ResNeXt, SE-ResNeXt, ResNeSt or Res2Net, its
// counts, its diagram and its cost against the kind's own knob, all computed here (no kernel).
// explorer_common.js comes first in the same module (widgets/page.py joins them).

// Every word shown is a template in cfg.messages (widgets/family_explorer.py: messages), in the notebook's
// language; the diagram's words are viz's (messages.diagram, messages.family_diagram).

function validRadixes(c, d, cfg) {
  return cfg.radixes.filter((r) => {
    try { checkSplitAttention(c * d, c, r, cfg.messages.split_attention); return true; } catch (e) { return false; }
  });
}

function familyNumbers(kind, c, d, radix, scale, cfg) { // widgets/family_explorer.py: family_numbers
  const n = cfg.block_channels, widest = c * d * (kind === "res2net" ? scale : 1), m = cfg.messages;
  if (widest > cfg.max_inner_width) {
    const what = kind === "res2net" ? `s·C·d = ${scale}·${c}·${d}` : `C·d = ${c}·${d}`; // notation, not words
    throw new Error(say(kind === "res2net" ? m.too_wide_res2net : m.too_wide,
      { what, widest: fmt(widest), limit: fmt(cfg.max_inner_width) }));
  }
  const [params, macs] = blockComplexity(kind, n, c, d, radix, scale, cfg.block_size, m.split_attention);
  const [baseParams, baseMacs] = resnextBlockComplexity(n, c, d, cfg.block_size);
  const [resnetParams, resnetMacs] = resnextBlockComplexity(n, 1, 64, cfg.block_size);
  return { kind, cardinality: c, bottleneck_width: d, radix: kind === "resnest" ? radix : null,
    scale: kind === "res2net" ? scale : null, params, macs, resnext_params: baseParams, resnext_macs: baseMacs,
    params_ratio: params / resnetParams, macs_ratio: macs / resnetMacs };
}

// The diagram of the block: which layout (Python's, per key) and the labels of its nodes, in order.
function familyDiagram(kind, c, d, r, s, n, m) { // m: cfg.messages
  const words = m.diagram, fw = m.family_diagram;
  const w = c * d, tail = ["", words.identity, say(words.output, { n })], input = say(words.input, { n });
  if (kind === "resnext") {
    return { key: "resnext", title: fw.titles.resnext, labels: blockLabels("c", c, d, n, words) };
  }
  if (kind === "se") {
    const reduced = seChannels(n);
    return { key: "se", title: fw.titles.se, labels: [input, convLabel(n, 1, w),
      convLabel(w, 3, w, `grp=${c}`), convLabel(w, 1, n), fw.se_pool, fcLabel(n, reduced), fcLabel(reduced, n),
      fw.se_sigmoid, "", fw.se_scale, ...tail] };
  }
  if (kind === "resnest") {
    const a = checkSplitAttention(w, c, r, m.split_attention), grp = c > 1 ? `grp=${c}` : "";
    return { key: `resnest-${r <= 3 ? r : "n"}`, title: fw.titles.resnest, labels: [input,
      convLabel(n, 1, w), convLabel(w, 3, w * r, `grp=${c * r}`), say(fw.splits[r === 1 ? 0 : 1], { r, w }),
      fw.sum_of_splits, fw.pool, fcLabel(w, a, grp), fcLabel(a, w * r, grp),
      r > 1 ? fw.softmax : fw.sigmoid, r > 1 ? fw.weighted_sum : fw.scale, ...(r > 3 ? ["…"] : []),
      convLabel(w, 1, n), ...tail] };
  }
  const drawn = s <= 4 ? s - 1 : 3, part = convLabel(w, 3, w, c > 1 ? `grp=${c}` : "");
  const labels = [input, convLabel(n, 1, w * s)];
  for (let j = 0; j < drawn; j++) labels.push(...(j === 0 ? [part] : [part, ""])); // each later part adds a ⊕
  if (s > 4) labels.push("…");
  labels.push(fw.concatenate, convLabel(w * s, 1, n), ...tail);
  return { key: `res2net-${s <= 4 ? s : "n"}`, title: c > 1 ? fw.titles.res2next : fw.titles.res2net, labels };
}

function describeKind(nb, cfg) { // one sentence on what the kind's knob does
  const { kind, cardinality: c, bottleneck_width: d } = nb, m = cfg.messages;
  if (kind === "resnext") {
    return say(m.describe_resnext, { c, d, width: fmt(c * d), groups: count(m.groups, c) });
  }
  if (kind === "se") {
    return say(m.describe_se, { n: cfg.block_channels, reduced: seChannels(cfg.block_channels),
      params: fmt(nb.params - nb.resnext_params), macs: fmt(nb.macs - nb.resnext_macs) });
  }
  if (kind === "resnest") {
    const r = nb.radix;
    return say(m.describe_resnest, { groups: count(m.cardinal_groups, c), splits: count(m.splits, r), kr: c * r,
      out: fmt(r * c * d), dr: Math.floor(d / r), d, gate: r > 1 ? m.softmax_gate : m.sigmoid_gate });
  }
  const s = nb.scale;
  return say(c > 1 ? m.describe_res2next : m.describe_res2net, { s, w: c * d, chained: s - 1, c, sw: fmt(s * c * d) });
}

function familyReadout(nb, cfg) {
  const [resnetParams, resnetMacs] = resnextBlockComplexity(cfg.block_channels, 1, 64, cfg.block_size);
  const m = cfg.messages, columns = [[m.short_names[nb.kind], nb.params, nb.macs]];
  if (nb.kind !== "resnext") {
    columns.push([say(m.resnext_column, { c: nb.cardinality, d: nb.bottleneck_width }), nb.resnext_params,
      nb.resnext_macs]);
  }
  columns.push([m.resnet_bottleneck, resnetParams, resnetMacs]);
  const cells = (f) => columns.map((col) => `<td>${f(...col)}</td>`).join("");
  const heads = columns.map((col) => `<th>${escapeHtml(col[0])}</th>`).join("");
  const ratios = (p, q) => say(m.block_ratios, { params: (p / resnetParams).toFixed(2),
    macs: (q / resnetMacs).toFixed(2) });
  return `<table><tr><th>${m.block_heading}</th>${heads}</tr>`
    + `<tr><th>${m.params}</th>${cells((name, p) => fmt(p))}</tr>`
    + `<tr><th>${m.macs}</th>${cells((name, p, q) => `${fmt(q)} (${(q / 1e6).toFixed(1)} M)`)}</tr>`
    + `<tr><th>${m.vs_resnet}</th>${cells((name, p, q) => ratios(p, q))}</tr>`
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
    const [p, q] = blockComplexity(kind, n, ...config, cfg.block_size, cfg.messages.split_attention);
    return [config[at], p / resnetParams, q / resnetMacs];
  });
}

function costPlot(nb, cfg) {
  const m = cfg.messages, [name, label, symbol] = m.knobs[nb.kind], points = knobCurve(nb, cfg), knob = nb[name];
  const ticks = { cardinality: cfg.cardinalities, radix: cfg.radixes, scale: cfg.scales }[name];
  const log = name === "cardinality", kindName = m.short_names[nb.kind];
  const p = plot({ width: 330, height: 290, xlog: log, xlim: log ? [0.7, ticks[ticks.length - 1] * 1.4]
    : [ticks[0] - 0.5, ticks[ticks.length - 1] + 0.5], ylim: [0.005, 800], xticks: ticks.map((t) => [t, String(t)]),
  yticks: [0.01, 0.1, 1, 10, 100].map((v) => [v, `${v}×`]), xlabel: label, ylabel: m.cost_ylabel,
  title: say(m.cost_title, { name: kindName, symbol }), legend: "upper left",
  hlines: [{ y: 1, color: "#8c8c8c", label: m.resnet_bottleneck }], series: [
    { xs: points.map((q) => q[0]), ys: points.map((q) => q[1]), color: "#0072B2", line: true, label: m.params },
    { xs: points.map((q) => q[0]), ys: points.map((q) => q[2]), color: "#E69F00", marker: "s", line: true,
      label: m.macs },
    { xs: [knob], ys: [nb.params_ratio], color: "#0072B2", size: 6, hollow: true },
    { xs: [knob], ys: [nb.macs_ratio], color: "#E69F00", marker: "s", size: 6, hollow: true }] });
  return plotsSvg([p], say(m.cost, { name: kindName, knob: label, params: nb.params_ratio.toFixed(2),
    macs: nb.macs_ratio.toFixed(2), symbol, value: knob }));
}

// Everything the page shows for a state. wanted: the radix the student last chose (kept when it fits).
export function compute(state, cfg) {
  const { kind, cardinality: c, bottleneck_width: d, scale } = state, m = cfg.messages;
  const out = { radix: state.radix, radixes: cfg.radixes, note: "", numbers: null, error: "" };
  try {
    if (kind === "resnest") {
      const fits = validRadixes(c, d, cfg);
      out.radixes = fits;
      if (!fits.length) checkSplitAttention(c * d, c, 1, m.split_attention); // says why no radix works
      const wanted = state.wanted_radix;
      out.radix = fits.includes(wanted) ? wanted
        : fits.reduce((best, r) => (Math.abs(r - wanted) < Math.abs(best - wanted)
          || (Math.abs(r - wanted) === Math.abs(best - wanted) && r > best) ? r : best));
      if (out.radix !== wanted) {
        out.note = say(m.radix_moved, { wanted, c, d, radix: out.radix, fits: fits.join(", ") });
      }
    }
    out.numbers = familyNumbers(kind, c, d, out.radix, scale, cfg);
  } catch (e) {
    out.error = e.message;
    out.note = "";
    return out;
  }
  Object.assign(out, familyDiagram(kind, c, d, out.radix, scale, cfg.block_channels, m));
  out.description = describeDiagram(out.title, cfg.layouts[out.key], out.labels, m.diagram);
  return out;
}

function render({ model, el }) {
  const cfg = model.get("config"), m = cfg.messages;
  let busy = false; // our own model.set: its change event must not draw a second time
  const send = (values, event) => {
    busy = true;
    for (const [name, value] of Object.entries(values)) model.set(name, value);
    model.save_changes();
    busy = false;
    draw(event);
  };
  const kind = html("select", {}, cfg.kinds.map((k) => html("option", { value: k }, m.kind_names[k])));
  kind.addEventListener("change", (e) => { // a new kind loads its paper configuration
    const p = cfg.presets[kind.value];
    send({ kind: kind.value, cardinality: p.cardinality, bottleneck_width: p.bottleneck_width,
      ...(p.scale ? { scale: p.scale } : {}), ...(p.radix ? { radix: p.radix, wanted_radix: p.radix } : {}) }, e);
  });
  const c = rangeOver(cfg.cardinalities, model.get("cardinality"), m.cardinality,
    (v, e) => send({ cardinality: v }, e));
  const widths = Array.from({ length: cfg.max_width }, (_, i) => i + 1);
  const d = rangeOver(widths, model.get("bottleneck_width"), m.width, (v, e) => send({ bottleneck_width: v }, e));
  const r = rangeOver(cfg.radixes, model.get("radix"), m.radix, (v, e) => send({ radix: v, wanted_radix: v }, e));
  const s = rangeOver(cfg.scales, model.get("scale"), m.scale, (v, e) => send({ scale: v }, e));
  const radixControl = control(m.radix, r.input, r.shown), scaleControl = control(m.scale, s.input, s.shown);
  const parts = mount(el, "family", [html("div", { class: "rx-row" }, [control(m.block, kind)]),
    html("div", { class: "rx-row" }, [control(m.cardinality, c.input, c.shown),
      control(m.width, d.input, d.shown)]),
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
      showError(parts, out.error, m.no_block, m.stale);
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
