"""Answer keys for teachers: every notebook solved and executed, and the quiz's answers (`make solutions`).

Usage: python scripts/make_solutions.py [--notebooks notebooks] [--out teachers/solutions] [--jobs 2] [--timeout 1200]
Each exercise cell (its `____` starter code and `qN.check()`) gets the question's own solution,
`qN._solution`, the code `qN.solution()` shows; each `# qN.hint()` / `# qN.solution()` cell calls
`qN.solution()`; the misconceptions quiz has every right answer chosen. The copies run with nbclient
as in `make notebooks`, and quiz_answers.md lists every multiple-choice question with its answer and
the feedback of every option. The out folder is git-ignored: answer keys are never committed.
"""
import argparse
import ast
import copy
import importlib
import multiprocessing
import os
import pkgutil
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

import resnext_edu.exercises as exercises
from resnext_edu.exercises.core import MultipleChoiceProblem, Problem

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from execute_notebooks import execute  # noqa: E402

BLANK = "____"
STAR_IMPORT = re.compile(r"^from resnext_edu\.exercises\.(\w+) import \*", re.M)
ANY_IMPORT = re.compile(r"^from resnext_edu\.exercises\.(\w+) import", re.M)
HINT_LINE = re.compile(r"#\s*(q\d+)\.(?:hint|solution)\(.*\)\s*")
QUESTION = re.compile(r"q\d+")
BANNER = ("**Answer key for teachers.** Every exercise below is filled in with its solution and checked; do not "
          "share this copy with students. Made by `make solutions` (scripts/make_solutions.py) from {name}.")


class FillError(ValueError):
    """An exercise cell that cannot be matched to its question; the message names the notebook and the cell."""


def question_modules(nb):
    """The exercises modules a notebook star-imports (q1, q2, ... come from these), in import order."""
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return [importlib.import_module(f"resnext_edu.exercises.{name}") for name in STAR_IMPORT.findall(code)]


def lookup(modules, name):
    """The question `name` as the notebook sees it: a later star import shadows an earlier one."""
    for module in reversed(modules):
        problem = getattr(module, name, None)
        if isinstance(problem, Problem):
            return problem
    return None


def _uses_blank(node):
    return any(isinstance(n, ast.Name) and n.id == BLANK for n in ast.walk(node))


def _check_of(stmt):
    """`qN` if the statement is the call `qN.check(...)`, else None."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "check"
            and isinstance(call.func.value, ast.Name) and QUESTION.fullmatch(call.func.value.id)):
        return call.func.value.id
    return None


def _defines(stmts):
    """Names the starter code's blank statements set: `x = ____`, `x: int = ____`, `def f(...): return ____`."""
    names = set()
    for stmt in stmts:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(stmt.name)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        names |= {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _parse(source, where):
    try:
        return ast.parse(source)
    except SyntaxError as err:
        raise FillError(f"{where}: cannot parse the exercise cell ({err.msg}, line {err.lineno})") from None


def _question_of(tree, modules, where):
    """The one question an exercise cell checks, validated against the starter code it holds."""
    checks = [q for q in map(_check_of, tree.body) if q]
    blanks = [stmt for stmt in tree.body if _uses_blank(stmt)]
    if len(checks) != 1 or not blanks:
        found = f"{len(checks)} qN.check() calls and {'some' if blanks else 'no'} {BLANK}"
        raise FillError(f"{where}: an exercise cell needs {BLANK} starter code and one qN.check(), found {found}")
    if not modules:
        raise FillError(f"{where}: calls {checks[0]}.check(), but the notebook has no "
                        "`from resnext_edu.exercises.<module> import *`")
    problem = lookup(modules, checks[0])
    if problem is None:
        names = ", ".join(m.__name__ for m in modules)
        raise FillError(f"{where}: {checks[0]}.check() matches no question of {names}")
    if problem._var not in _defines(blanks):
        raise FillError(f"{where}: {checks[0]} ({type(problem).__name__}) checks `{problem._var}`, but the "
                        f"cell's starter code sets {sorted(_defines(blanks)) or 'nothing'}")
    if not str(problem._solution).strip():
        raise FillError(f"{where}: {checks[0]} ({type(problem).__name__}) has no solution")
    return checks[0], problem


def fill_exercise(source, modules, where):
    """The exercise cell with its solution in place of the starter code; returns (source, qN)."""
    tree = _parse(source, where)
    name, problem = _question_of(tree, modules, where)
    solution = str(problem._solution).strip()
    in_solution = {ast.unparse(stmt) for stmt in ast.parse(solution).body}
    lines = source.splitlines()
    # Lines the student is given to build on (W1 = ..., mystery = mystery_model()) stay, unless the solution
    # repeats them; the starter code's blanks, comments and the check go.
    context = ["\n".join(lines[s.lineno - 1:s.end_lineno]) for s in tree.body
               if not _uses_blank(s) and not _check_of(s) and ast.unparse(s) not in in_solution]
    check = next(ast.get_source_segment(source, s) for s in tree.body if _check_of(s))
    gap = "\n" if isinstance(ast.parse(solution).body[-1], ast.FunctionDef) else ""
    return "\n".join(context + [solution + "\n" + gap + check]), name


def fill_hint(source, modules, where):
    """`qN.solution()` for a cell of commented `# qN.hint()` / `# qN.solution()` lines, else None."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    matches = [HINT_LINE.fullmatch(line) for line in lines]
    if not lines or not all(matches) or len({m.group(1) for m in matches}) != 1:
        return None
    name = matches[0].group(1)
    if lookup(modules, name) is None:
        raise FillError(f"{where}: `{lines[0]}` names {name}, which no imported exercises module defines")
    return f"{name}.solution()"


def fill_quiz(source):
    """The `quiz()` cell with every right answer chosen, so each question shows its feedback; else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    last = tree.body[-1] if tree.body else None
    call = last.value if isinstance(last, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "quiz"):
        return None
    before = source.splitlines()[:last.lineno - 1]
    key = [f"quiz_key = {ast.get_source_segment(source, call)}  # the key: every right answer chosen, with feedback",
           "for radio, problem in zip(quiz_key.radios, quiz_key.problems):",
           "    radio.value = problem._answer",
           "quiz_key"]
    return "\n".join(before + key)


def _quiz_size():
    quiz = importlib.import_module("resnext_edu.exercises.quiz")
    return sum(isinstance(getattr(quiz, q), MultipleChoiceProblem) for q in quiz.__all__ if q.startswith("q"))


def _fill_cell(cell, modules, has_quiz, where):
    """Fill one code cell in place; returns (the question it now solves or None, quiz questions answered)."""
    if BLANK in cell.source or re.search(r"\bq\d+\.check\(", cell.source):
        cell.source, question = fill_exercise(cell.source, modules, where)
        return question, 0
    if (hint := fill_hint(cell.source, modules, where)) is not None:
        cell.source = hint
    elif has_quiz and (key := fill_quiz(cell.source)) is not None:
        cell.source = key
        return None, _quiz_size()
    return None, 0


def fill_notebook(nb, name):
    """A solved copy of a notebook; returns (copy, questions filled in order, quiz questions answered)."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # the student copy's outputs and widgets must not survive into the key
    modules, has_quiz = question_modules(nb), "quiz" in _imports(nb)
    filled, quiz_answered = [], 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            question, answered = _fill_cell(cell, modules, has_quiz, f"{name}, cell {index}")
            filled += [question] if question else []
            quiz_answered += answered
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(BANNER.format(name=name)))
    return nb, filled, quiz_answered


def _imports(nb):
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return ANY_IMPORT.findall(code)


def multiple_choice():
    """[(module, [(qN, problem)])] for every exercises module with multiple-choice questions, the quiz first."""
    found = []
    for info in sorted(pkgutil.iter_modules(exercises.__path__), key=lambda i: (i.name != "quiz", i.name)):
        module = importlib.import_module(f"resnext_edu.exercises.{info.name}")
        problems = [(q, getattr(module, q)) for q in getattr(module, "__all__", []) if QUESTION.fullmatch(q)]
        problems = [(q, p) for q, p in problems if isinstance(p, MultipleChoiceProblem)]
        if problems:
            found.append((module, problems))
    return found


def _answer_section(name, problem):
    """One question in markdown: options, the right one, and why each option is right or wrong."""
    options = problem.options()
    lines = [f"### {name}. {problem.question}", ""]
    lines += [f"- {letter}) {text}" for letter, text in options]
    lines += ["", f"**Answer: {problem._answer})** {dict(options)[problem._answer]}", "",
              "Why each option is right or wrong:", ""]
    lines += [f"- {letter}) {'right' if letter == problem._answer else 'wrong'}: {feedback}"
              for (letter, _), feedback in zip(options, problem._feedback)]
    return lines + ["", f"Source: {problem._source or 'none given'}.", ""]


def quiz_answers(notebooks):
    """quiz_answers.md: every multiple-choice question, generated from the exercises modules.

    notebooks: {module short name: [notebook file names that import it]}, to say where each is asked.
    """
    lines = ["# Answer key: the quiz and every multiple-choice question", "",
             "Generated by `make solutions` (scripts/make_solutions.py) from `resnext_edu/exercises/`: edit the "
             "questions there, not this file. For teachers only; do not share it with students.", ""]
    for module, problems in multiple_choice():
        short = module.__name__.rsplit(".", 1)[-1]
        where = ", ".join(notebooks.get(short, [])) or "no notebook"
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        lines += [f"## `resnext_edu/exercises/{short}.py` ({where})", "", summary, ""]
        for name, problem in problems:
            lines += _answer_section(name, problem)
    return "\n".join(lines)


def _execute_one(path, timeout, threads):
    """Run one key in place (a worker process); errors come back as plain text, which always pickles."""
    if threads:  # side by side, each kernel gets its share of the cores: oversubscribed torch crawls
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        return execute(path, timeout=timeout)[0]
    except Exception as err:  # noqa: BLE001  nbclient's CellExecutionError does not pickle
        Path(path).unlink()  # a key that did not run to the end is no key
        raise RuntimeError(f"{Path(path).name} failed to execute: {err}") from None


def _fill_all(paths, out):
    """Every notebook filled and written to out, before any runs, so a bad cell fails in seconds, not minutes."""
    keys, users = [], {}
    for path in paths:
        nb, filled, answered = fill_notebook(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, out / path.name)
        keys.append((out / path.name, filled, answered))
        for module in dict.fromkeys(_imports(nb)):
            users.setdefault(module, []).append(path.name)
    return keys, users


def build(notebooks_dir, out, jobs=2, timeout=1200, echo=print):
    """Fill every notebook, write quiz_answers.md, execute the keys; returns [(name, filled, quiz, seconds)]."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keys, users = _fill_all(sorted(Path(notebooks_dir).glob("*.ipynb")), out)
    (out / "quiz_answers.md").write_text(quiz_answers(users), encoding="utf-8")
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    echo(f"{'notebook':<36} {'exercises':>9} {'quiz':>5} {'seconds':>8}", flush=True)
    rows = []
    # spawn: a fresh interpreter per worker, as safe under pytest's threads as from the command line
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_execute_one, path, timeout, threads) for path, _, _ in keys]
        try:
            for (path, filled, answered), future in zip(keys, futures):
                rows.append((path.name, filled, answered, future.result()))
                echo(f"{path.name:<36} {len(filled):>9} {answered or '-':>5} {rows[-1][3]:>8.1f}", flush=True)
        except BaseException:
            for future in futures:  # the first failure ends the build; the notebooks not yet started never start
                future.cancel()
            raise
    return rows


def _positive(kind):
    def parse(value):
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if number <= 0:
            raise argparse.ArgumentTypeError(f"should be a positive {kind.__name__}, got {value!r}")
        return number
    return parse


def _default_out(notebooks):
    """teachers/solutions/, mirroring a translation's subfolder (notebooks/ko -> teachers/solutions/ko)."""
    try:
        return ROOT / "teachers" / "solutions" / notebooks.resolve().relative_to(ROOT / "notebooks")
    except ValueError:  # a folder outside notebooks/
        return ROOT / "teachers" / "solutions"


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="folder of notebooks to solve")
    parser.add_argument("--out", type=Path, help="folder for the keys (default: teachers/solutions/, "
                        "teachers/solutions/ko/ for --notebooks notebooks/ko)")
    parser.add_argument("--jobs", type=_positive(int), default=2, help="notebooks executed side by side")
    parser.add_argument("--timeout", type=_positive(int), default=1200, help="seconds a cell may run")
    args = parser.parse_args(argv)
    if not args.notebooks.is_dir() or not any(args.notebooks.glob("*.ipynb")):
        parser.error(f"--notebooks should be a folder of .ipynb files, got {str(args.notebooks)!r}")
    args.out = args.out or _default_out(args.notebooks)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out should be a folder, got {str(args.out)!r}, which is a file")
    if args.out.resolve() == args.notebooks.resolve():
        parser.error(f"--out should not be the notebooks folder, got {str(args.out)!r}: the keys would overwrite it")
    return args


def main(argv=None):
    args = _arguments(argv)
    start = time.perf_counter()
    rows = build(args.notebooks, args.out, jobs=args.jobs, timeout=args.timeout)
    print(f"{sum(len(r[1]) for r in rows)} exercises solved in {len(rows)} notebooks, "
          f"{time.perf_counter() - start:.0f} s: {args.out}")


if __name__ == "__main__":
    main()
