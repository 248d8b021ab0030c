// The cardinality explorer in the page (Xie et al. 2017, Sec. 3.4 and Table 2): sliders for C and d,
// the counts, the block diagram and two curves, all computed here, so a slider needs no kernel.
// explorer_common.js comes first in the same module (widgets/page.py joins them). Every word shown is
// a template in cfg.messages (widgets/cardinality_explorer.py: messages), in the notebook's language.

function layoutKey(form, c) {
  return form === "c" ? "c" : `${form}${c <= 3 ? c : "n"}`; // more than 3 paths fold into "…"
}

function lockedWidth(c, cfg) {
  const n = cfg.block_channels, resnet = blockParams(n, 1, 64);
  const d = equalComplexityWidth(c, n);
  if (d < 1 || blockParams(n, c, d) > (1 + cfg.lock_tolerance) * resnet) {
    const smallest = blockParams(n, c, 1);
    throw new Error(say(cfg.messages.no_equal_width, { c, smallest: fmt(smallest),
      ratio: (smallest / resnet).toFixed(1), resnet: fmt(resnet) }));
  }
  return d;
}

function explorerNumbers(depth, c, d, cfg) { // widgets/cardinality_explorer.py: explorer_numbers
  const n = cfg.block_channels, w = c * d, block = blockParams(n, c, d);
  if (w > cfg.max_group_width) {
    throw new Error(say(cfg.messages.too_wide, { c, d, width: fmt(w), block: fmt(block) }));
  }
  const [params, macs] = resnextComplexity(depth, c, d, cfg.stages[depth], cfg.stage_widths);
  const [refParams, refMacs] = resnextComplexity(depth, 1, 64, cfg.stages[depth], cfg.stage_widths);
  return { depth, cardinality: c, bottleneck_width: d, group_width: w, block_params: block,
    block_macs: block * cfg.block_size ** 2, block_ratio: block / blockParams(n, 1, 64), params, macs,
    params_ratio: params / refParams, macs_ratio: macs / refMacs };
}

// Everything the page shows for a state: the numbers or the error, the diagram's title and labels.
export function compute(state, cfg) {
  const c = state.cardinality, out = { width: state.bottleneck_width, numbers: null, error: "" };
  try {
    if (state.lock) out.width = lockedWidth(c, cfg);
    out.numbers = explorerNumbers(state.depth, c, out.width, cfg);
  } catch (e) {
    out.error = e.message;
    return out;
  }
  const words = cfg.messages.diagram;
  out.key = layoutKey(state.form, c);
  out.title = words.titles[state.form];
  out.labels = blockLabels(state.form, c, out.width, cfg.block_channels, words);
  out.description = describeDiagram(out.title, cfg.layouts[out.key], out.labels, words);
  return out;
}

function readoutHtml(n, m) { // m: cfg.messages
  const th = "<th style='text-align:left'>";
  const row = (name, a, b) => `<tr>${th}${name}</th><td>${a}</td><td>${b}</td></tr>`;
  const { cardinality: c, bottleneck_width: d, depth } = n;
  return "<table>"
    + `<tr><td></td>${th}${m.block_heading}</th>${th}${say(m.whole, { depth, c, d })}</th></tr>`
    + row(m.params, fmt(n.block_params), fmt(n.params))
    + row(m.macs, fmt(n.block_macs), `${fmt(n.macs)} (${(n.macs / 1e9).toFixed(2)} G)`)
    + row(m.vs_resnet, `${n.block_ratio.toFixed(2)}×`,
      say(m.network_ratios, { params: n.params_ratio.toFixed(2), macs: n.macs_ratio.toFixed(2), depth }))
    + `</table><p>${say(m.group_width, { c, d, width: fmt(n.group_width) })}</p>`;
}

function curves(c, d, cfg) { // Table 2's d against C, and the block's params against C at this d
  const cs = cfg.cardinalities, n = cfg.block_channels, resnet = blockParams(n, 1, 64), m = cfg.messages;
  const equal = [];
  for (const k of cs) {
    try { equal.push([k, lockedWidth(k, cfg)]); } catch (e) { /* no d keeps this C equal */ }
  }
  const xticks = cs.map((k) => [k, String(k)]), xlim = [0.7, cs[cs.length - 1] * 1.4];
  const top = plot({ title: m.table2_title, ylabel: "d", xlim, ylim: [0.7, 200], xticks,
    yticks: [[1, "1"], [10, "10"], [100, "100"]], ylabelOffset: 30, series: [
      { xs: equal.map((p) => p[0]), ys: equal.map((p) => p[1]), color: "#8c8c8c", line: true,
        label: m.equal_complexity },
      { xs: cfg.paper_table2.map((p) => p[0]), ys: cfg.paper_table2.map((p) => p[1]), color: "black", marker: "x",
        label: m.paper_table2 },
      { xs: [c], ys: [d], color: "#D55E00", size: 5, label: m.you }] });
  const bottom = plot({ title: m.block_params_title, ylabel: m.params, xlabel: m.cardinality, xlim,
    ylim: [1e2, 2e8], xticks, yticks: [[1e2, "10²"], [1e4, "10⁴"], [1e6, "10⁶"], [1e8, "10⁸"]],
    legend: "upper left",
    hlines: [{ y: resnet, color: "#8c8c8c", label: "ResNet" }], series: [
      { xs: cs, ys: cs.map((k) => blockParams(n, k, d)), color: "#0072B2", line: true, size: 0, label: m.this_d },
      { xs: [c], ys: [blockParams(n, c, d)], color: "#D55E00", size: 5 }] });
  return plotsSvg([top, bottom], say(m.curves, { c, d, params: fmt(blockParams(n, c, d)), resnet: fmt(resnet) }));
}

function render({ model, el }) {
  const cfg = model.get("config"), m = cfg.messages;
  let busy = false; // our own model.set: its change event must not draw a second time
  const send = (name, value, event) => {
    busy = true;
    model.set(name, value);
    model.save_changes();
    busy = false;
    draw(event);
  };
  const c = rangeOver(cfg.cardinalities, model.get("cardinality"), m.cardinality,
    (v, e) => send("cardinality", v, e));
  const widths = Array.from({ length: cfg.max_width }, (_, i) => i + 1);
  const d = rangeOver(widths, model.get("bottleneck_width"), m.width, (v, e) => send("bottleneck_width", v, e));
  const lock = html("input", { type: "checkbox" });
  lock.addEventListener("change", (e) => send("lock", lock.checked, e));
  const depth = radios(m.depth, cfg.depths, model.get("depth"), null, (v, e) => send("depth", v, e));
  const form = radios(m.form, cfg.forms, model.get("form"), m.form_titles, (v, e) => send("form", v, e));
  const parts = mount(el, "cardinality", [
    html("div", { class: "rx-row" }, [control(m.cardinality, c.input, c.shown), control(m.width, d.input, d.shown),
      control(m.lock, lock)]),
    html("div", { class: "rx-row" }, [html("span", { class: "rx-control" }, [html("span", { "aria-hidden": "true" },
      m.depth), depth.group]), html("span", { class: "rx-control" }, [html("span", { "aria-hidden": "true" }, m.form),
      form.group])])]);
  const { root } = parts;

  function draw(event) {
    const state = { cardinality: model.get("cardinality"), bottleneck_width: model.get("bottleneck_width"),
      depth: model.get("depth"), form: model.get("form"), lock: model.get("lock") };
    const out = compute(state, cfg);
    if (state.lock && out.width !== state.bottleneck_width && !out.error) {
      busy = true;
      model.set("bottleneck_width", out.width); // the lock moves d; Python sees it too
      model.save_changes();
      busy = false;
      state.bottleneck_width = out.width;
    }
    c.set(state.cardinality);
    d.set(state.bottleneck_width);
    d.input.disabled = state.lock;
    lock.checked = state.lock;
    depth.set(state.depth);
    form.set(state.form);
    root.dataset.state = JSON.stringify(state);
    if (out.error) {
      showError(parts, out.error, m.no_network, m.stale);
    } else {
      showNumbers(parts, out.numbers, readoutHtml(out.numbers, m), "",
        drawDiagram(cfg.layouts[out.key], out.title, out.labels, out.description),
        curves(state.cardinality, out.width, cfg));
    }
    stamp(root, event);
  }
  for (const name of ["cardinality", "bottleneck_width", "depth", "form", "lock"]) {
    model.on(`change:${name}`, () => { if (!busy) draw(null); });
  }
  draw(null);
  return () => root.remove();
}

export default { render };
