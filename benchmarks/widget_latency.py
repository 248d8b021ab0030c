"""Latency of the cardinality explorer: slider change -> new readouts and a re-encoded figure.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. Budget (CONTRIBUTING.md): at most 50 ms median per change.
Headless: setting a widget's value runs the callback synchronously, so the time from the set to
its return covers the readouts (HTML) and the figure (PNG bytes in the Image widget).

    python benchmarks/widget_latency.py [--n 50]
"""
import argparse
import statistics
import time

from resnext_edu.widgets import CARDINALITIES, ERROR_STYLE, cardinality_explorer

BUDGET_MS = 50


def up_down(values):
    """1, 2, 4, 2 for (1, 2, 4): up the slider and back, so that cycling never repeats a value."""
    return list(values) + list(values[-2:0:-1])


def time_changes(app, slider, values, n):
    """Set slider to the values in turn, n times; check each change updated the image (and readouts)."""
    times, cpu = [], []
    for i in range(n):
        readout, image = app.readout.value, bytes(app.image.value)
        start, start_cpu = time.perf_counter(), time.process_time()
        slider.value = values[i % len(values)]
        times.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
        assert ERROR_STYLE not in app.message.value, app.message.value  # no error for these values
        assert bytes(app.image.value) != image, "the figure was not updated"
        assert app.readout.value != readout or slider is getattr(app, "form", None), "the readouts were not updated"
    return times, cpu


def print_rows(title, rows, footnote, width=30):
    """The table: median, IQR, p90 and max wall ms, CPU median, and the verdict against the budget."""
    print(f"{title}; budget {BUDGET_MS} ms median\n")
    print(f"{'change':{width}} {'median ms':>10} {'IQR ms':>11} {'p90 ms':>8} {'max ms':>8} {'CPU median':>11}  budget")
    for name, (times, cpu) in rows:
        median, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
        q1, _, q3 = statistics.quantiles(times, n=4)
        verdict = "(button)" if "button" in name else "ok" if median <= BUDGET_MS else "OVER"
        print(f"{name:{width}} {median:10.1f} {f'{q1:.1f}-{q3:.1f}':>11} {p90:8.1f} {max(times):8.1f} "
              f"{statistics.median(cpu):11.1f}  {verdict}")
    print("\n" + footnote)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="changes per row")
    args = parser.parse_args()

    start = time.perf_counter()
    app = cardinality_explorer()
    build_ms = 1000 * (time.perf_counter() - start)

    all_c = up_down(CARDINALITIES)  # at d = 4, C·d stays within the explorer's limit
    rows = [("cardinality slider, form (c)", time_changes(app, app.cardinality, all_c, args.n)),
            ("width slider, form (c)", time_changes(app, app.width, up_down(range(1, 17)), args.n))]
    app.width.value = 4
    app.form.value = "a"  # C = 1, 2, 3+ draw 1, 2, 3 paths: crossing them rebuilds the diagram
    rows.append(("cardinality slider, form (a)", time_changes(app, app.cardinality, all_c, args.n)))
    three_paths = up_down([c for c in CARDINALITIES if c >= 4])
    rows.append(("  same, C >= 4 (no rebuild)", time_changes(app, app.cardinality, three_paths, args.n)))
    rows.append(("form buttons (rebuild)", time_changes(app, app.form, ["b", "c", "a"], args.n)))
    app.form.value = "c"
    app.lock.value = True
    locked = up_down([c for c in CARDINALITIES if c <= 128])  # beyond, no d >= 1 keeps complexity equal
    rows.append(("cardinality slider, locked d", time_changes(app, app.cardinality, locked, args.n)))

    print_rows(f"cardinality_explorer(): built in {build_ms:.0f} ms; {args.n} changes per row", rows,
               "ms of wall-clock time per change; CPU median is this process's CPU time (a busy machine\n"
               "inflates wall time, not CPU time). A rebuild (another form, or 1, 2 or 3+ drawn paths\n"
               "in forms a and b) draws the diagram's boxes and arrows again; other changes only what moves.")

if __name__ == "__main__":
    main()
