"""Latency of the family explorer: slider change -> new readouts and a re-encoded figure.

Zhang et al. 2020 (ResNeSt, https://arxiv.org/abs/2004.08955) and Gao et al. 2019 (Res2Net,
https://arxiv.org/abs/1904.01169) add a radix and a scale to ResNeXt's cardinality and width;
resnext_edu.widgets.family_explorer puts all four on sliders. Budget (CONTRIBUTING.md): at most 50 ms median
per change. Headless: setting a widget's value runs the callback synchronously, so the time from
the set to its return covers the readouts (HTML) and the figure (PNG bytes in the Image widget).
The first visit of a diagram layout draws its boxes once (a rebuild); the rows below run each
slider up and down its range, so they include those first visits, and the last row the kind menu.

    python benchmarks/family_widget_latency.py [--n 60]
"""
import argparse
import time

from widget_latency import print_rows, time_changes, up_down  # this folder

from resnext_edu.widgets import family_explorer, valid_radixes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="changes per row")
    args = parser.parse_args()

    start = time.perf_counter()
    app = family_explorer("resnest")  # ResNeSt-50's conv2 block: C = 1, d = 64, R = 2
    build_ms = 1000 * (time.perf_counter() - start)

    rows = [("radix slider, ResNeSt 1x64d", time_changes(app, app.radix, up_down(valid_radixes(1, 64)), args.n))]
    app.radix.value = 1  # R = 1 fits every d
    rows.append(("width slider, ResNeSt R = 1", time_changes(app, app.width, up_down(range(56, 73)), args.n)))
    app.kind.value = "res2net"  # Res2Net-50's block: 26w x 4s
    rows.append(("scale slider, Res2Net 26w", time_changes(app, app.scale, up_down(range(2, 9)), args.n)))
    rows.append(("width slider, Res2Net 4s", time_changes(app, app.width, up_down(range(20, 33)), args.n)))
    app.kind.value = "se"  # SE-ResNeXt-50's block: 32x4d
    rows.append(("cardinality slider, SE-ResNeXt", time_changes(app, app.cardinality, up_down(app.cardinality.options),
                                                                 args.n)))
    app.kind.value = "resnext"
    rows.append(("cardinality slider, ResNeXt", time_changes(app, app.cardinality, up_down(app.cardinality.options),
                                                              args.n)))
    rows.append(("kind menu (button)", time_changes(app, app.kind, ["resnest", "res2net", "se", "resnext"], args.n)))

    sliders = [row for name, row in rows if "button" not in name]
    rows.append(("all slider changes", ([t for times, _ in sliders for t in times], [c for _, cpu in sliders for c in cpu])))
    print_rows(f"family_explorer(): built in {build_ms:.0f} ms; {args.n} changes per row", rows,
               "ms of wall-clock time per change; CPU median is this process's CPU time (a busy machine\n"
               "inflates wall time, not CPU time). A layout's first visit (another radix line, another\n"
               "Res2Net part, another kind) draws its boxes once; later visits redraw only what changed.", width=32)

if __name__ == "__main__":
    main()
