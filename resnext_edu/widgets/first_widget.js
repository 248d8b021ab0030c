// Notebook 00's first widget: a labelled range input for C; the caption is what Python writes back.
const STYLE = `
.rx-first { font: 14px/1.4 sans-serif; color: #1a1a1a; background: #fff; padding: 4px 0; }
.rx-first label { margin-right: 8px; }
.rx-first input { width: 280px; vertical-align: middle; }
.rx-first input:focus-visible { outline: 3px solid #d55e00; outline-offset: 2px; }
.rx-first output { display: inline-block; min-width: 2.5em; margin-left: 6px; font-variant-numeric: tabular-nums; }
.rx-first p { margin: 6px 0 0; }
`;

function render({ model, el }) {
  const id = `rx-first-${Math.random().toString(36).slice(2)}`;
  const root = document.createElement("div");
  root.className = "rx-first";
  root.dataset.explorer = "first";
  root.innerHTML = `<style>${STYLE}</style><label for="${id}"></label>`
    + `<input id="${id}" type="range" min="1" max="64" step="1" data-lm-suppress-shortcuts="true">`
    + `<output for="${id}"></output><p aria-live="polite"></p>`;
  const [label, input, value, caption] = ["label", "input", "output", "p"].map((s) => root.querySelector(s));
  const show = () => {
    label.textContent = model.get("label");
    input.value = String(model.get("cardinality"));
    value.textContent = String(model.get("cardinality"));
    caption.innerHTML = model.get("caption");  // Python's HTML: the package's own text, never the student's
  };
  input.addEventListener("input", () => {
    value.textContent = input.value;
    model.set("cardinality", Number(input.value));
    model.save_changes();
  });
  model.on("change:cardinality", show);
  model.on("change:caption", show);
  model.on("change:label", show);
  show();
  el.append(root);
}

export default { render };
