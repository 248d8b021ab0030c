// What both explorers share, in the page: the closed-form counts, the SVG drawing and the controls.
// Python (resnext_edu.complexity) holds the same formulas; tests/test_explorer_page.py runs these in
// Chromium and asserts equal numbers and equal diagrams for every slider position. No imports: the
// module must run offline, in JupyterLab and in the static site alike. No words either: every text
// shown is a template Python sends in config.messages, in the notebook's language (widgets/page.py).

// --- counting (Xie et al. 2017, Sec. 3.4 and Table 1; complexity.py) ---------------------------

const bn = (channels) => 2 * channels; // a BatchNorm's weight and bias

function convOutputSize(size, kernel, stride, padding) {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

function blockParams(n, c, d) {
  return c * (n * d + 9 * d * d + d * n); // C·(in·d + 3·3·d·d + d·out), Sec. 3.4
}

function equalComplexityWidth(c, n = 256, referenceWidth = 64) {
  const budget = blockParams(n, 1, referenceWidth);
  const a = 9 * c, b = 2 * n * c;
  const d = (-b + Math.sqrt(b * b + 4 * a * budget)) / (2 * a);
  const candidates = [...new Set([Math.max(1, Math.floor(d)), Math.max(1, Math.ceil(d))])].sort((x, y) => x - y);
  let best = candidates[0];
  for (const w of candidates) {
    if (Math.abs(blockParams(n, c, w) - budget) < Math.abs(blockParams(n, c, best) - budget)) best = w;
  }
  return best;
}

function resnextComplexity(depth, c, d, stages, stageWidths, numClasses = 1000, inputSize = 224) {
  const stem = 64;
  let side = convOutputSize(inputSize, 7, 2, 3);
  let params = 7 * 7 * 3 * stem + bn(stem), macs = side * side * 7 * 7 * 3 * stem;
  side = convOutputSize(side, 3, 2, 1); // max pool
  let inChannels = stem;
  stages.forEach((blocks, i) => {
    const out = stageWidths[i], width = c * d * 2 ** i; // group width C·d, doubling each stage
    for (let j = 0; j < blocks; j++) {
      const stride = i > 0 && j === 0 ? 2 : 1;
      const newSide = convOutputSize(side, 3, stride, 1);
      const grouped = 9 * Math.floor(width / c) * width;
      params += inChannels * width + bn(width) + grouped + bn(width) + width * out + bn(out);
      macs += side * side * inChannels * width + newSide * newSide * (grouped + width * out);
      if (stride !== 1 || inChannels !== out) { // projection shortcut
        params += inChannels * out + bn(out);
        macs += newSide * newSide * inChannels * out;
      }
      inChannels = out;
      side = newSide;
    }
  });
  return [params + inChannels * numClasses + numClasses, macs + inChannels * numClasses];
}

function resnextBlockComplexity(n, c, d, spatial) {
  const w = c * d, weights = blockParams(n, c, d);
  return [weights + bn(w) + bn(w) + bn(n), weights * spatial * spatial];
}

function makeDivisible(value, divisor = 8, minValue = null, roundLimit = 0.9) {
  let rounded = Math.max(minValue || divisor, Math.floor(Math.trunc(value + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * value) rounded += divisor;
  return rounded;
}

const seChannels = (channels, reduction = 16) => makeDivisible(channels / reduction, 8, null, 0.0);

function seComplexity(channels) {
  const r = seChannels(channels);
  return [2 * channels * r + r + channels, 2 * channels * r];
}

const divisors = (n) => Array.from({ length: n }, (_, i) => i + 1).filter((k) => n % k === 0);

// ResNeSt's split attention (Zhang et al. 2020, Fig. 2): throws the message family/resnest.py gives
// (words: the templates family_explorer.py reads off check_split_attention).
function checkSplitAttention(channels, k, r, words) {
  if (channels % k) {
    throw new Error(say(words.group_width, { k, channels, fits: divisors(channels).join(", ") }));
  }
  if (channels % (k * r)) {
    const fits = divisors(channels / k).filter((x) => x <= 8);
    throw new Error(say(words.radix, { r, k, channels, fits: fits.join(", ") }));
  }
  const attn = makeDivisible(channels * r / 4, 8, 32);
  if (attn % k) {
    throw new Error(say(words.attention, { k, attn,
      fits: divisors(attn).filter((x) => channels % x === 0).join(", ") }));
  }
  return attn;
}

function resnestBlockComplexity(n, k, d, r, spatial, words) {
  const w = k * d, a = checkSplitAttention(w, k, r, words);
  const grouped = 9 * Math.floor(w / (k * r)) * (w * r);
  const fc1 = Math.floor(w / k) * a, fc2 = Math.floor(a / k) * (w * r);
  const params = (n * w + bn(w)) + (grouped + bn(w * r)) + (fc1 + a + bn(a)) + (fc2 + w * r) + (w * n + bn(n));
  return [params, spatial * spatial * (n * w + grouped + w * n) + fc1 + fc2];
}

function res2netBlockComplexity(n, c, d, s, spatial) {
  const w = c * d;
  const conv1 = n * w * s, parts = (s - 1) * 9 * d * w, conv3 = w * s * n;
  return [conv1 + bn(w * s) + parts + (s - 1) * bn(w) + conv3 + bn(n), spatial * spatial * (conv1 + parts + conv3)];
}

function blockComplexity(kind, n, c, d, radix, scale, spatial, words) {
  if (kind === "resnest") return resnestBlockComplexity(n, c, d, radix, spatial, words);
  if (kind === "res2net") return res2netBlockComplexity(n, c, d, scale, spatial);
  let [params, macs] = resnextBlockComplexity(n, c, d, spatial);
  if (kind === "se") {
    const [p, m] = seComplexity(n);
    params += p;
    macs += m;
  }
  return [params, macs];
}

// --- text ---------------------------------------------------------------------------------------

const fmt = (n) => n.toLocaleString("en-US"); // 1,234,567 like Python's f"{n:,}"
// A template from Python with its {fields} filled in (widgets/page.py: fill); a field not given stays.
const say = (text, fields = {}) => text.replace(/\{(\w+)\}/g, (m, k) => (k in fields ? String(fields[k]) : m));
// forms: [for 1, for more] of one ngettext message (widgets/page.py: forms), with {n} = n.
const count = (forms, n, fields = {}) => say(forms[n === 1 ? 0 : 1], { n, ...fields });
const convLabel = (cin, k, cout, ...extras) => [`${cin}, ${k}×${k}, ${cout}`, ...extras.filter(Boolean)].join(", ");
const fcLabel = (cin, cout, ...extras) => [`${cin}, fc, ${cout}`, ...extras.filter(Boolean)].join(", ");

function escapeHtml(text) {
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text).replace(/[&<>"']/g, (ch) => entities[ch]);
}

// --- the block diagram's labels (viz/block_diagrams.py adds the nodes in this order) -----------

// The labels of every node of block_spec(form, C, d), in the order viz/block_diagrams.py adds them.
// words: viz's words (config.messages.diagram); the box labels "in, k×k, out" are the paper's notation.
function blockLabels(form, c, d, n, words) {
  const w = c * d;
  const head = [say(words.input, { n }), "", words.identity, say(words.output, { n })]; // in, ⊕, identity, out
  if (form === "c") return [...head, convLabel(n, 1, w), convLabel(w, 3, w, `grp=${c}`), convLabel(w, 1, n)];
  const drawn = Math.min(c, 3), folded = c > 3;
  const path = form === "a" ? [convLabel(n, 1, d), convLabel(d, 3, d), `${d}, 1×1, ${n}`]
    : [convLabel(n, 1, d), convLabel(d, 3, d)];
  const labels = [...head];
  for (let i = 0; i < drawn; i++) labels.push(...path);
  if (folded) labels.push(...path.map(() => "…"));
  if (form === "b") labels.push(words.concatenate, convLabel(w, 1, n));
  labels.push(say(words.total[c === 1 ? 0 : 1], { c }));
  return labels;
}

function describeDiagram(title, layout, labels, words) { // Spec.describe(), for screen readers
  const boxes = layout.nodes.map((n, i) => (n.kind === "box" || n.kind === "op" ? labels[i] : null))
    .filter((l) => l !== null);
  const notes = layout.nodes.map((n, i) => (n.kind === "text" && labels[i].replace(/…/g, "") ? labels[i] : null))
    .filter((l) => l !== null);
  return say(notes.length ? words.describe : words.describe_plain,
    { title, boxes: boxes.join(words.box_sep), notes: notes.join(words.note_sep) });
}

// --- SVG ----------------------------------------------------------------------------------------

// A label's width in Latin characters: a Hangul syllable is about 1.6 of them (an em against 0.6 em).
const HANGUL = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/;
const textWidth = (label) => [...label].reduce((w, ch) => w + (HANGUL.test(ch) ? 1.6 : 1), 0);

const SVG_NS = "http://www.w3.org/2000/svg";
const INCH = 1.1 * 72, VINCH = 0.58 * 72; // points per data unit, as viz/engine.py draws them
const FONT = 8; // points, the box labels

function node(tag, attrs = {}, children = [], ns = SVG_NS) {
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) el.append(child);
  return el;
}

const html = (tag, attrs = {}, children = []) => node(tag, attrs, children, null);

function greyOf(colour) { // matplotlib's "0.35" is a grey level
  return /^[0-9.]+$/.test(colour) ? `rgb(${Array(3).fill(Math.round(255 * Number(colour))).join(",")})` : colour;
}

function arrowHead(x, y, direction, offset) {
  const length = 5, half = 2.2; // points, as viz/engine.py's head()
  const [dx, dy] = { down: [0, 1], up: [0, -1], right: [1, 0], left: [-1, 0] }[direction];
  const tipX = x - dx * offset, tipY = y - dy * offset; // SVG y grows downward: "down" is +y
  const baseX = tipX - dx * length, baseY = tipY - dy * length;
  const points = [[tipX, tipY], [baseX - dy * half, baseY + dx * half], [baseX + dy * half, baseY - dx * half]];
  return node("polygon", { points: points.map((p) => p.join(",")).join(" "), fill: "black" });
}

// A block diagram from a layout (Python's Spec.as_layout()) and this state's title and labels.
function drawDiagram(layout, title, labels, description) {
  const [x0, x1, y0, y1] = layout.extent;
  const X = (x) => (x - x0) * INCH, Y = (y) => (y1 - y) * VINCH;
  const width = (x1 - x0) * INCH, height = (y1 - y0) * VINCH;
  const svg = node("svg", { viewBox: `0 0 ${width.toFixed(1)} ${height.toFixed(1)}`, role: "img",
    "aria-label": description, class: "rx-diagram", "font-family": "DejaVu Sans, Arial, sans-serif" });
  svg.append(node("text", { x: width / 2, y: Y(0.1), "text-anchor": "middle", "dominant-baseline": "central",
    "font-size": FONT + 1, "font-weight": "bold" }, title));
  const lines = node("g", { stroke: "black", "stroke-width": 0.8, fill: "none" });
  const heads = node("g");
  for (const edge of layout.edges) {
    lines.append(node("polyline", { points: edge.points.map(([x, y]) => `${X(x)},${Y(y)}`).join(" ") }));
    if (edge.head) {
      const [x, y] = edge.points[edge.points.length - 1];
      heads.append(arrowHead(X(x), Y(y), edge.head, edge.offset));
    }
  }
  const shapes = node("g"), texts = node("g");
  layout.nodes.forEach((n, i) => {
    const label = labels[i];
    if (n.kind === "box" || n.kind === "op") {
      const box = n.kind === "box";
      shapes.append(node("rect", { x: X(n.x - n.width / 2), y: Y(n.y + n.height / 2), width: n.width * INCH,
        height: n.height * VINCH, fill: box ? "white" : "#ebebeb", stroke: box ? "black" : "#808080",
        "stroke-width": box ? 0.8 : 0.6 }));
      const size = Math.min(FONT, (n.width * INCH) / (0.62 * Math.max(1, textWidth(label)))); // long labels shrink
      texts.append(node("text", { x: X(n.x), y: Y(n.y), "text-anchor": "middle", "dominant-baseline": "central",
        "font-size": size.toFixed(2) }, label));
    } else if (n.kind === "sum" || n.kind === "mul") {
      const cx = X(n.x), cy = Y(n.y), r = 6;
      const sign = n.kind === "sum" ? `M${cx - r},${cy}H${cx + r}M${cx},${cy - r}V${cy + r}`
        : `M${cx - 4.2},${cy - 4.2}L${cx + 4.2},${cy + 4.2}M${cx - 4.2},${cy + 4.2}L${cx + 4.2},${cy - 4.2}`;
      texts.append(node("circle", { cx, cy, r, fill: "white", stroke: "black", "stroke-width": 0.9 }));
      texts.append(node("path", { d: sign, stroke: "black", "stroke-width": 0.9 }));
    } else {
      const s = n.style || {};
      const anchor = { left: "start", right: "end" }[s.ha] || "middle";
      const attrs = { x: X(n.x), y: Y(n.y), "text-anchor": anchor, "dominant-baseline": "central",
        "font-size": s.fontsize || FONT, fill: greyOf(s.color || "black"), "font-style": s.style || null };
      if (s.rotation) attrs.transform = `rotate(${-s.rotation} ${X(n.x)} ${Y(n.y)})`;
      if (s.rotation) attrs["text-anchor"] = "middle";
      texts.append(node("text", attrs, label));
    }
  });
  svg.append(lines, shapes, heads, texts);
  return svg;
}

// A small log-log or lin-log plot: series of points and lines, dashed reference lines, a legend.
function plot({ width = 330, height = 150, title, xlabel, ylabel, xlog = true, ylog = true, xlim, ylim, xticks,
  yticks, series = [], hlines = [], legend = "upper right", ylabelOffset = 44 }) {
  const left = 52, right = 10, top = 20, bottom = xlabel ? 32 : 20;
  const w = width - left - right, h = height - top - bottom;
  const tx = xlog ? Math.log10 : (v) => v, ty = ylog ? Math.log10 : (v) => v;
  const X = (v) => left + ((tx(v) - tx(xlim[0])) / (tx(xlim[1]) - tx(xlim[0]))) * w;
  const Y = (v) => top + h - ((ty(v) - ty(ylim[0])) / (ty(ylim[1]) - ty(ylim[0]))) * h;
  const g = node("g", { "font-size": 8 });
  g.append(node("rect", { x: left, y: top, width: w, height: h, fill: "none", stroke: "#444", "stroke-width": 0.8 }));
  for (const [v, text] of xticks) {
    g.append(node("line", { x1: X(v), x2: X(v), y1: top + h, y2: top + h + 3, stroke: "#444" }));
    g.append(node("text", { x: X(v), y: top + h + 11, "text-anchor": "middle" }, text));
  }
  for (const [v, text] of yticks) {
    g.append(node("line", { x1: left - 3, x2: left, y1: Y(v), y2: Y(v), stroke: "#444" }));
    g.append(node("text", { x: left - 5, y: Y(v), "text-anchor": "end", "dominant-baseline": "central" }, text));
  }
  if (title) g.append(node("text", { x: left + w / 2, y: top - 7, "text-anchor": "middle", "font-size": 9.5 }, title));
  if (xlabel) {
    g.append(node("text", { x: left + w / 2, y: height - 4, "text-anchor": "middle", "font-size": 9 }, xlabel));
  }
  if (ylabel) {
    g.append(node("text", { x: left - ylabelOffset, y: top + h / 2, "text-anchor": "middle", "font-size": 9,
      transform: `rotate(-90 ${left - ylabelOffset} ${top + h / 2})` }, ylabel));
  }
  const inside = node("g");
  for (const line of hlines) {
    inside.append(node("line", { x1: left, x2: left + w, y1: Y(line.y), y2: Y(line.y), stroke: line.color,
      "stroke-dasharray": "5 3", "stroke-width": 1 }));
  }
  for (const s of series) {
    const points = s.xs.map((x, i) => [X(x), Y(s.ys[i])]);
    if (s.line && points.length > 1) {
      inside.append(node("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none",
        stroke: s.color, "stroke-width": 1.4 }));
    }
    const size = s.size ?? 3.5;
    if (size) for (const [x, y] of points) inside.append(marker(s.marker, x, y, size, s.color, s.hollow));
  }
  g.append(inside);
  const entries = [...hlines, ...series].filter((s) => s.label);
  entries.forEach((s, i) => { // the legend: one line per entry, inside the plot's corner
    const lx = legend === "upper left" ? left + 6 : left + w - 92, ly = top + 9 + i * 11;
    if (s.xs) g.append(marker(s.marker || "o", lx + 5, ly, 3, s.color, s.hollow));
    else g.append(node("line", { x1: lx, x2: lx + 10, y1: ly, y2: ly, stroke: s.color, "stroke-dasharray": "4 2" }));
    g.append(node("text", { x: lx + 14, y: ly, "dominant-baseline": "central", "font-size": 7.5 }, s.label));
  });
  return { group: g, width, height };
}

function marker(kind, x, y, r, colour, hollow) {
  const paint = hollow ? { fill: "none", stroke: colour, "stroke-width": 1.6 } : { fill: colour };
  if (kind === "s") return node("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...paint });
  if (kind === "x") {
    return node("path", { d: `M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}`,
      stroke: colour, "stroke-width": 1.5 });
  }
  return node("circle", { cx: x, cy: y, r, ...paint });
}

function plotsSvg(plots, description) { // plots stacked in one SVG
  const width = Math.max(...plots.map((p) => p.width));
  const height = plots.reduce((sum, p) => sum + p.height, 0);
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": description,
    class: "rx-plot", "font-family": "DejaVu Sans, Arial, sans-serif" });
  let y = 0;
  for (const p of plots) {
    svg.append(node("g", { transform: `translate(0 ${y})` }, p.group));
    y += p.height;
  }
  return svg;
}

// --- controls: native inputs, so the keyboard and screen readers work as everywhere -------------

let uid = 0;
const PREFIX = `rx${Math.random().toString(36).slice(2, 8)}`; // ids stay unique with two explorers on a page

function control(labelText, input, valueText = null) {
  const id = `${PREFIX}-${++uid}`;
  input.id = id;
  const parts = [html("label", { for: id }, labelText), input];
  if (valueText) parts.push(valueText);
  return html("span", { class: "rx-control" }, parts);
}

// A range input over a list of values (C doubles, so the slider steps through the list's indices).
function rangeOver(values, value, name, onInput) {
  const input = html("input", { type: "range", min: 0, max: values.length - 1, step: 1, "aria-label": name });
  const shown = html("output", { "aria-hidden": "true", class: "rx-value" });
  const set = (v) => {
    const i = Math.max(0, values.indexOf(v));
    input.max = values.length - 1;
    input.value = i;
    input.setAttribute("aria-valuetext", `${name} ${values[i]}`);
    shown.textContent = values[i];
  };
  input.addEventListener("input", (event) => onInput(values[Number(input.value)], event));
  return { input, shown, set, setValues: (vs) => { values = vs; } };
}

function radios(name, values, value, titles, onInput) {
  const group = html("span", { role: "radiogroup", "aria-label": name, class: "rx-radios" });
  const groupName = `${PREFIX}-radios-${++uid}`; // one name: the arrow keys move within the group
  const inputs = values.map((v, i) => {
    const id = `${PREFIX}-${++uid}`;
    const input = html("input", { type: "radio", name: groupName, id, value: String(v) });
    input.addEventListener("change", (event) => { if (input.checked) onInput(v, event); });
    group.append(html("span", { class: "rx-radio", title: titles ? titles[i] : null },
      [input, html("label", { for: id }, String(v))]));
    return input;
  });
  const set = (v) => inputs.forEach((input, i) => { input.checked = values[i] === v; });
  return { group, set };
}

const STYLE = `
.rx-explorer { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; color: #1a1a1a;
  background: white; max-width: 1400px; }
.rx-explorer [hidden] { display: none !important; }
.rx-row { display: flex; flex-wrap: wrap; gap: 4px 22px; align-items: center; margin: 3px 0; }
.rx-control { display: inline-flex; align-items: center; gap: 8px; }
.rx-control input[type=range] { width: 210px; }
.rx-value { min-width: 2.5em; font-variant-numeric: tabular-nums; }
.rx-radios { display: inline-flex; gap: 2px; }
.rx-radio { position: relative; }
.rx-radio label { padding: 1px 9px; border: 1px solid #8a8a8a; border-radius: 3px; cursor: pointer; }
.rx-radio input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.rx-radio input:checked + label { background: #35577a; color: white; border-color: #35577a; }
/* the focus ring: Okabe-Ito vermillion, 3.9:1 on white (WCAG 1.4.11 asks 3:1; their orange gave 2.2:1) */
.rx-radio input:focus-visible + label { outline: 3px solid #d55e00; outline-offset: 1px; }
.rx-explorer input:focus-visible, .rx-explorer select:focus-visible { outline: 3px solid #d55e00; }
.rx-readout table { border-spacing: 12px 2px; line-height: 1.4; text-align: left; margin-left: -12px; }
.rx-readout p { margin: 2px 0; line-height: 1.4; }
.rx-error { color: #a33; border-left: 4px solid #a33; padding: 4px 8px; }
.rx-note { color: #35577a; border-left: 4px solid #7a9cc6; padding: 4px 8px; }
.rx-muted { color: #666; }
.rx-figure { display: flex; gap: 8px; height: 48vh; min-height: 260px; align-items: flex-start; }
.rx-figure svg { height: 100%; max-width: 100%; }
.rx-figure .rx-diagram { flex: 0 1 auto; }
.rx-figure .rx-plot { flex: 1 1 auto; }
.rx-stale { opacity: 0.35; filter: grayscale(1); }
`;

// JupyterLab's shortcuts (arrow keys move between cells in command mode) match a focused control by
// selectors such as ".jp-Notebook.jp-mod-commandMode :focus"; the attribute on the control itself
// keeps its keys for the control.
function keepKeys(root) {
  for (const el of root.querySelectorAll("input, select, button")) {
    el.setAttribute("data-lm-suppress-shortcuts", "true");
  }
}

// The explorer's frame: its rows of controls, then the readout, a message line and the figure.
function mount(el, name, rows) {
  const root = html("div", { class: "rx-explorer", "data-explorer": name }, [html("style", {}, STYLE), ...rows]);
  const parts = { root, readout: html("div", { class: "rx-readout", "aria-live": "polite" }),
    message: html("div", { class: "rx-message", "aria-live": "polite" }), figure: html("div", { class: "rx-figure" }) };
  root.append(parts.readout, parts.message, parts.figure);
  keepKeys(root);
  el.append(root);
  return parts;
}

// An error: no numbers, the message, and the last valid figure greyed (it no longer matches the controls).
// stale: the sentence that says so (config.messages.stale).
function showError({ root, readout, message, figure }, error, empty, stale) {
  root.dataset.numbers = JSON.stringify({ error });
  readout.innerHTML = `<p class='rx-muted'>${empty}</p>`;
  message.innerHTML = messageHtml("error", figure.childElementCount ? `${error} ${stale}` : error);
  figure.classList.add("rx-stale");
}

// Valid values: the numbers, their readout, a note if any, and the new figure in colour.
function showNumbers({ root, readout, message, figure }, numbers, readoutHtml, note, ...pictures) {
  root.dataset.numbers = JSON.stringify(numbers);
  readout.innerHTML = readoutHtml;
  message.innerHTML = messageHtml("note", note);
  figure.classList.remove("rx-stale");
  figure.replaceChildren(...pictures);
}

function messageHtml(kind, text) {
  return text ? `<div class="rx-${kind}">${escapeHtml(text)}</div>` : "";
}

// Time from the input event to the end of the redraw (render-ms) and to the next frame painted
// (paint-ms: a frame, then a task), for the latency test and benchmarks/widget_latency.py.
function stamp(el, event) {
  if (!event || !event.timeStamp) return;
  const start = event.timeStamp;
  el.dataset.renderMs = (performance.now() - start).toFixed(2);
  delete el.dataset.paintMs;
  requestAnimationFrame(() => setTimeout(() => { el.dataset.paintMs = (performance.now() - start).toFixed(2); }));
}
