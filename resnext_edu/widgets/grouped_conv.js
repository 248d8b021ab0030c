// The grouped-convolution explorer in the page: SVG from Python's precomputed drawings, no kernel needed.
// Xie et al. 2017, Sec. 3.3 and Fig. 3(c); the channel shuffle is ShuffleNet's (Zhang et al. 2018, Sec. 3.1).
// Python (viz/grouped_drawing.py) draws every groups value once; here we pick one, light what an output
// reads, and compute params and MACs by the formula. No imports: it must run offline. No words either:
// every text shown is a template of the `messages` trait (widgets/grouped_conv.py), in the notebook's language.

const STYLE = `
.rx-explorer[data-explorer="grouped-conv"] { max-width: 800px; font: 13px/1.35 var(--jp-ui-font-family, sans-serif);
  color: var(--jp-content-font-color1, #1a1a1a); }
.rx-gc-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 14px; margin-bottom: 2px; }
.rx-gc-controls input[type=range] { width: 150px; vertical-align: middle; }
.rx-gc-controls button { min-width: 58px; padding: 2px 10px; font: inherit; cursor: pointer; }
.rx-gc-value { font-variant-numeric: tabular-nums; min-width: 13em; }
.rx-gc svg { display: block; width: 100%; height: auto; }
.rx-gc text { fill: currentColor; font-family: var(--jp-ui-font-family, sans-serif); }
.rx-gc .rx-ch, .rx-gc .rx-filter { stroke: #000; stroke-width: 0.5; }
.rx-gc [data-out] { cursor: pointer; }
.rx-gc [data-out]:focus { outline: none; }
.rx-gc [data-out]:focus-visible, .rx-gc [data-out].rx-selected { stroke-width: 2; }
.rx-gc [data-out]:focus-visible { stroke: var(--jp-brand-color1, #1976d2); stroke-width: 3; }
.rx-gc .rx-link { stroke: #8c8c8c; stroke-width: 0.6; opacity: 0.6; }
.rx-gc .rx-box { fill: none; stroke-width: 0.8; stroke-dasharray: 3 2; opacity: 0.9; }
.rx-gc.rx-has-lit .rx-ch:not(.lit), .rx-gc.rx-has-lit .rx-filter:not(.lit) { opacity: 0.25; }
.rx-gc.rx-has-lit .rx-link { opacity: 0.2; }
.rx-gc.rx-has-lit .rx-box { opacity: 0.25; }
.rx-gc .rx-link.lit { stroke: var(--c); stroke-width: 1.6; opacity: 1; }
.rx-gc-formula { margin: 2px 0 0; font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.rx-gc-caption { margin: 2px 0 0; font-size: 12px; }
.rx-gc-error { color: #9b1c1c; }
`;

// JupyterLab's command-mode shortcuts match any focused element (ArrowRight there moves to the next
// heading): on each control of ours, this attribute keeps its keys for the control.
const OURS = 'data-lm-suppress-shortcuts="true"';
const PLAY_MS = 1000; // one groups value a second, as the README's GIF
const fmt = (n) => n.toLocaleString("en-US");
// A template from Python with its {fields} filled in (widgets/page.py: fill); a field not given stays.
const say = (text, fields = {}) => text.replace(/\{(\w+)\}/g, (m, k) => (k in fields ? String(fields[k]) : m));
// forms: [for 1, for more] of one ngettext message (widgets/page.py: forms), with {n} = n.
const count = (forms, n, fields = {}) => say(forms[n === 1 ? 0 : 1], { n, ...fields });
const sized = (M, d) => say(M.value, { groups: count(M.groups, d.groups), channels: count(M.channels, d.group_width) });
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
let instances = 0; // unique ids when a notebook shows the explorer twice

// params = k·k·(C_in/g)·C_out, and each weight is used once per output position (complexity.grouped_conv_cost).
function cost(d) {
  const k = d.kernel_size, [h, w] = d.spatial;
  const params = k * k * (d.channels / d.groups) * d.channels;
  return { params, macs: params * h * w };
}

function formulaLines(d, M) {
  const k = d.kernel_size, [h, w] = d.spatial, c = d.channels, g = d.groups, { params, macs } = cost(d);
  return [say(d.shuffle ? M.params_per_layer : M.params, { k, c, g, params: fmt(params) }),
          say(d.shuffle ? M.macs_per_layer : M.macs, { params: fmt(params), h, w, macs: fmt(macs) })];
}

// What output `o` depends on: walk the drawing's links backwards (viz/grouped_drawing.lit_ids).
function litIds(d, byTarget, o) {
  const lit = new Set([`out:${o}`]), links = new Set(), todo = [`out:${o}`];
  while (todo.length) {
    for (const i of byTarget.get(todo.pop()) || []) {
      links.add(i);
      const from = d.links[i][0];
      if (!lit.has(from)) { lit.add(from); todo.push(from); }
    }
  }
  return { lit, links };
}

function ranges(xs) { // [0,1,2,3,8] -> "0–3, 8"
  const out = [];
  for (let i = 0; i < xs.length; i++) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(j > i ? `${xs[i]}–${xs[j]}` : `${xs[i]}`);
    i = j;
  }
  return out.join(", ");
}

function caption(d, o, inputs, M) {
  const c = d.channels, g = d.groups, n = d.group_width, reach = d.uses[0].length;
  let text;
  if (!d.shuffle) {
    text = g === 1 ? say(M.reads_dense, { c }) : g === c ? M.reads_depthwise : say(M.reads_group, { n, c });
  } else if (g === 1) {
    text = M.shuffle_dense;
  } else if (g === c) {
    text = M.shuffle_depthwise;
  } else {
    text = say(M.shuffle, { k: reach / n, g, reach, c, n });
  }
  const line = say(M.line, { k: d.kernel_size });
  if (o < 0) return `${text} ${line} ${M.hint}`;
  const reads = count(d.shuffle ? M.output_reaches : M.output_reads, inputs.length,
    { o, group: d.outputs[o].group, inputs: ranges(inputs) });
  return `${text} ${line} ${reads}`;
}

function svgFor(d, M) {
  const boxes = [...d.inputs, ...d.filters, ...d.hidden, ...d.outputs];
  const at = new Map(boxes.map((b) => [b.id, b]));
  const label = say(d.shuffle ? M.picture_shuffle : M.picture, { groups: count(M.groups, d.groups),
    channels: count(M.channels, d.group_width) });
  const parts = [`<svg viewBox="0 0 ${d.width} ${d.height}" width="100%" role="group" aria-label="${esc(label)}">`];
  for (const b of d.boxes) {
    parts.push(`<rect class="rx-box" x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" stroke="${b.color}"/>`);
  }
  parts.push('<g class="rx-links">');
  d.links.forEach(([from, to, kind], i) => {
    if (kind === "makes") return; // a filter sits on its output: nothing to draw
    const a = at.get(from), b = at.get(to);
    parts.push(`<line class="rx-link" data-link="${i}" style="--c:${a.color}" x1="${a.x + a.w / 2}" `
      + `y1="${a.y + a.h}" x2="${b.x + b.w / 2}" y2="${b.y}"/>`);
  });
  parts.push("</g>");
  for (const b of boxes) {
    let extra = "";
    if (b.kind === "input") extra = ` data-in="${b.index}"`;
    if (b.kind === "output") {
      extra = ` data-out="${b.index}" tabindex="0" role="button" aria-pressed="false" ${OURS} `
        + `aria-label="${esc(say(M.output_channel, { o: b.index, group: b.group }))}"`;
    }
    const cls = b.kind === "filter" ? "rx-filter" : "rx-ch";
    parts.push(`<rect class="${cls}" data-id="${b.id}"${extra} x="${b.x}" y="${b.y}" width="${b.w}" `
      + `height="${b.h}" fill="${b.color}"/>`);
  }
  for (const t of d.labels) {
    parts.push(`<text x="${t.x}" y="${t.y}" font-size="${t.size || 11}" text-anchor="${t.anchor || "start"}" `
      + `aria-hidden="true">${esc(t.text)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

function render({ model, el }) {
  const M = model.get("messages");
  const id = `rx-gc-${++instances}-${Math.random().toString(36).slice(2, 8)}`;
  const root = document.createElement("div");
  root.className = "rx-explorer rx-gc";
  root.dataset.explorer = "grouped-conv";
  root.innerHTML = `<style>${STYLE}</style>
    <div class="rx-gc-controls">
      <span><label for="${id}-g">${esc(M.groups_label)}</label>
        <input type="range" id="${id}-g" min="0" max="0" step="1" value="0" ${OURS}></span>
      <span class="rx-gc-value" aria-hidden="true"></span>
      <span><input type="checkbox" id="${id}-s" ${OURS}>
        <label for="${id}-s">${esc(M.shuffle_label)}</label></span>
      <button type="button" class="rx-gc-play" ${OURS}>${esc(M.play)}</button>
    </div>
    <div class="rx-gc-picture"></div>
    <p class="rx-gc-formula" aria-live="polite">
      <span class="rx-gc-params"></span><br><span class="rx-gc-macs"></span></p>
    <p class="rx-gc-caption" aria-live="polite"></p>`;
  el.appendChild(root);
  const q = (sel) => root.querySelector(sel);
  const slider = q(`#${CSS.escape(id)}-g`), shuffleBox = q(`#${CSS.escape(id)}-s`), play = q(".rx-gc-play");
  const picture = q(".rx-gc-picture"), value = q(".rx-gc-value");
  let drawn = null, byTarget = null, hover = -1, timer = null, litEls = [], boxEls = new Map(), linkEls = new Map();

  const divisors = () => Object.keys(model.get("drawings").plain || {}).map(Number).sort((a, b) => a - b);
  const current = () => {
    const all = model.get("drawings")[model.get("shuffle") ? "shuffle" : "plain"] || {};
    return all[String(model.get("groups"))];
  };
  const setTraits = (traits) => {
    for (const [k, v] of Object.entries(traits)) model.set(k, v);
    try { model.save_changes(); } catch (e) { /* no kernel: the page goes on alone */ }
  };

  const built = new Map(); // drawing -> its SVG and lookups, built on the first visit: moving back costs no parsing
  function build(d) {
    const holder = document.createElement("div");
    holder.innerHTML = svgFor(d, M);
    const byTo = new Map();
    d.links.forEach(([, to], i) => { if (!byTo.has(to)) byTo.set(to, []); byTo.get(to).push(i); });
    return { svg: holder.firstChild, byTarget: byTo,
             boxEls: new Map([...holder.querySelectorAll("[data-id]")].map((e) => [e.dataset.id, e])),
             linkEls: new Map([...holder.querySelectorAll("[data-link]")].map((e) => [Number(e.dataset.link), e])) };
  }

  function light(d) {
    const o = hover >= 0 ? hover : model.get("selected");
    for (const e of litEls) e.classList.remove("lit");
    litEls = [];
    let inputs = [];
    if (o >= 0 && o < d.channels) {
      const { lit, links } = litIds(d, byTarget, o);
      for (const key of lit) if (boxEls.has(key)) litEls.push(boxEls.get(key));
      for (const i of links) {
        const e = linkEls.get(i);
        if (e) { litEls.push(e); e.parentNode.appendChild(e); } // on top of the faded lines
      }
      inputs = [...lit].filter((k) => k.startsWith("in:")).map((k) => Number(k.slice(3))).sort((a, b) => a - b);
    }
    for (const e of litEls) e.classList.add("lit");
    root.classList.toggle("rx-has-lit", o >= 0);
    for (const e of picture.querySelectorAll("[data-out]")) {
      const mine = Number(e.dataset.out) === model.get("selected");
      e.classList.toggle("rx-selected", mine);
      e.setAttribute("aria-pressed", String(mine));
    }
    return { o, inputs };
  }

  function update() {
    try {
      redraw();
    } catch (error) { // a bug of ours, not the student's: say so in words, keep the page alive
      console.error(error);
      const text = say(esc(M.failed), { error: esc(error.message) });
      q(".rx-gc-caption").innerHTML = `<span class="rx-gc-error">${text}</span>`;
    }
  }

  function redraw() {
    const d = current();
    if (!d) { // only if Python sent a groups value without its drawing; say so, never throw
      const text = say(esc(M.not_drawn), { groups: esc(model.get("groups")), channels: esc(model.get("channels")),
        divisors: divisors().join(", ") });
      q(".rx-gc-caption").innerHTML = `<span class="rx-gc-error">${text}</span>`;
      return;
    }
    if (d !== drawn) {
      if (!built.has(d)) built.set(d, build(d));
      ({ byTarget, boxEls, linkEls } = built.get(d));
      picture.replaceChildren(built.get(d).svg);
      drawn = d;
    }
    const divs = divisors(), index = divs.indexOf(d.groups);
    slider.max = String(divs.length - 1);
    slider.value = String(index);
    const valueText = sized(M, d);
    slider.setAttribute("aria-valuetext", valueText);
    value.textContent = d.groups === 1 ? say(M.dense, { value: valueText })
      : d.groups === d.channels ? say(M.depthwise, { value: valueText }) : valueText;
    shuffleBox.checked = d.shuffle;
    const { o, inputs } = light(d);
    const [params, macs] = formulaLines(d, M);
    q(".rx-gc-params").textContent = params;
    q(".rx-gc-macs").textContent = macs;
    q(".rx-gc-caption").textContent = caption(d, o, inputs, M);
    const { params: p, macs: m } = cost(d);
    root.dataset.state = JSON.stringify({ channels: d.channels, groups: d.groups, shuffle: d.shuffle,
                                          selected: model.get("selected") });
    root.dataset.numbers = JSON.stringify({ params: p, macs: m, lit_inputs: inputs });
  }

  const stamp = (event) => { // to the end of the redraw, and to the next frame painted (a frame, then a task)
    const start = event.timeStamp;
    root.dataset.renderMs = (performance.now() - start).toFixed(2);
    delete root.dataset.paintMs;
    requestAnimationFrame(() => setTimeout(() => { root.dataset.paintMs = (performance.now() - start).toFixed(2); }));
  };
  const outOf = (event) => {
    const e = event.target.closest && event.target.closest("[data-out]");
    return e && picture.contains(e) ? Number(e.dataset.out) : -1;
  };
  const select = (o, event) => { hover = -1; setTraits({ selected: o }); update(); stamp(event); };

  slider.addEventListener("input", (event) => {
    setTraits({ groups: divisors()[Number(slider.value)] });
    update();
    stamp(event);
  });
  shuffleBox.addEventListener("change", (event) => {
    setTraits({ shuffle: shuffleBox.checked });
    update();
    stamp(event);
  });
  picture.addEventListener("click", (event) => { const o = outOf(event); if (o >= 0) select(o, event); });
  picture.addEventListener("focusin", (event) => {
    const o = outOf(event);
    if (o >= 0 && o !== model.get("selected")) select(o, event);
  });
  picture.addEventListener("keydown", (event) => {
    const o = outOf(event);
    if (o >= 0 && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(o, event); }
  });
  root.addEventListener("keydown", (event) => { if (event.key === "Escape") select(-1, event); });
  picture.addEventListener("mouseover", (event) => {
    const o = outOf(event);
    if (o >= 0 && o !== hover) { hover = o; update(); stamp(event); }
  });
  picture.addEventListener("mouseout", (event) => {
    if (outOf(event) >= 0 && hover >= 0) { hover = -1; update(); stamp(event); }
  });

  const stop = () => {
    clearInterval(timer);
    timer = null;
    play.textContent = M.play;
    play.setAttribute("aria-label", M.play_label);
  };
  play.addEventListener("click", () => {
    if (timer) return stop();
    timer = setInterval(() => {
      const divs = divisors();
      setTraits({ groups: divs[(divs.indexOf(model.get("groups")) + 1) % divs.length] });
      update();
    }, PLAY_MS);
    play.textContent = M.pause;
    play.setAttribute("aria-label", M.pause_label);
  });
  stop();

  const traits = "change:channels change:groups change:shuffle change:selected";
  const redrawAll = () => { built.clear(); drawn = null; update(); }; // new channels: new pictures
  model.on("change:drawings", redrawAll);
  model.on(traits, update);
  update();
  return () => { stop(); model.off(traits, update); model.off("change:drawings", redrawAll); };
}

export default { render };
