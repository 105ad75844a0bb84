"""Mutation testing of the pure domain modules (``services/*/src/*/domain/*.py``), unit tests only.

``make mutation`` runs this. For every domain module it makes mutants, one small change each to a copy of
the syntax tree (a comparison turned round or made strict, an integer one more or one less, ``and`` for
``or``, ``True`` for ``False``, a string changed, an entry taken out of a table, a value no longer
returned...), and runs that service's unit tests (``services/<service>/tests/unit``) against each: a
mutant is *killed* when a test fails (or the tests cannot even be collected, or they run far longer than
usual), and *survives* when every test still passes. Nothing is written into the source tree: the
mutated module is compiled in memory and put in front of the real one by an import hook, in a forked
child of a process that has already imported the heavy third-party libraries once.

At most ``--jobs`` (default 2) children run at a time. Mutants known to be equivalent (they cannot
change behaviour) are listed with the reason in ``equivalent.py`` and left out of the score.

    .venv/bin/python tools/mutation/mutate.py                       # every domain module
    .venv/bin/python tools/mutation/mutate.py --files calendar.py   # a few (matched on the path's end)
    .venv/bin/python tools/mutation/mutate.py --list --files policy.py  # the mutants, not run

Results: a per-file table on stdout and ``bench/results/mutation.json`` (survivors with their line).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from equivalent import EQUIVALENT, Rule  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "mutation.json"

# --------------------------------------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to ROOT
    index: int  # position of the node in walk order
    kind: str
    arg: object  # which element / which operator, per kind
    line: int
    description: str
    source_line: str
    keyword: str | None = None  # the keyword argument the mutated node is the value of, if any
    scope: str = ""  # function or class (dotted), or the module-level name assigned
    context: str = ""  # the expression the mutated node is part of (its parent), as source

    @property
    def key(self) -> str:
        return f"{self.file}:{self.line}:{self.kind}:{self.description}"


COMPARE_SWAP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAP: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
}
OP_TEXT = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.And: "and",
    ast.Or: "or",
}


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return (
        isinstance(parent, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(parent.body)
        and parent.body[0] is node
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def walk(tree: ast.Module) -> Iterator[tuple[ast.AST, ast.AST | None, bool, str]]:
    """Every node in a fixed order with its parent, whether it may be mutated, and its scope (the
    function or class it is in, dotted, or the module-level name it is assigned to).

    Left alone: docstrings, ``from __future__`` imports, and type annotations outside class bodies
    (``from __future__ import annotations`` makes those strings nobody reads at run time). Annotations in
    a class body are kept: pydantic and dataclasses read them (``Annotated[str, Field(min_length=2)]``).
    """

    def visit(node, parent, live: bool, scope: str):
        if _is_docstring(node, parent) or isinstance(node, ast.ImportFrom | ast.Import):
            live = False
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = f"{scope}.{node.name}" if scope else node.name
        elif isinstance(parent, ast.Module) and isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            scope = ",".join(ast.unparse(t) for t in targets)
        yield node, parent, live, scope
        for name, value in ast.iter_fields(node):
            sub = live
            if name in ("annotation", "returns") and not (
                isinstance(node, ast.AnnAssign) and isinstance(parent, ast.ClassDef)
            ):
                sub = False
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, ast.AST):
                    yield from visit(child, node, sub, scope)

    yield from visit(tree, None, True, "")


def points(node: ast.AST, parent: ast.AST | None) -> Iterator[tuple]:
    """(kind, arg, description[, node whose line it is]) of each mutation of ``node`` alone."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = COMPARE_SWAP.get(type(op))
            if new:
                which = f" (comparison {i + 1} of {len(node.ops)})" if len(node.ops) > 1 else ""
                yield "compare", i, f"{OP_TEXT[type(op)]} -> {OP_TEXT[new]}{which}"
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield "boolop", None, f"{OP_TEXT[type(node.op)]} -> {OP_TEXT[new]}"
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAP:
        new = BINOP_SWAP[type(node.op)]
        yield "binop", None, f"{OP_TEXT[type(node.op)]} -> {OP_TEXT[new]}"
    elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
        new = BINOP_SWAP[type(node.op)]
        yield "augassign", None, f"{OP_TEXT[type(node.op)]}= -> {OP_TEXT[new]}="
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield "unary", None, f"drop {'not' if isinstance(node.op, ast.Not) else 'unary -'}"
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            yield "const", not v, f"{v} -> {not v}"
        elif isinstance(v, int):
            yield "const", v + 1, f"{v} -> {v + 1}"
            yield "const", v - 1, f"{v} -> {v - 1}"
        elif isinstance(v, float):
            yield "const", v + 1, f"{v} -> {v + 1}"
        elif isinstance(v, str):
            new = f"XX{v}XX" if v else "XX"
            yield "const", new, f"{v!r} -> {new!r}"
    elif isinstance(node, ast.List | ast.Tuple | ast.Set) and not isinstance(
        getattr(node, "ctx", None), ast.Store
    ):
        for i, elt in enumerate(node.elts):
            yield "remove", i, f"remove element {i} ({_short(elt)})", elt
    elif isinstance(node, ast.Dict):
        for i, (k, v) in enumerate(zip(node.keys, node.values, strict=True)):
            yield "remove", i, f"remove entry {i} ({_short(k) if k is not None else '**' + _short(v)})", v
    elif (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        yield "return", None, "return None"
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "statement", None, f"drop call {_short(node.value.func)}(...)"
    elif isinstance(node, ast.Continue):
        yield "continue", None, "continue -> break"


def _short(node: ast.AST, width: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= width else text[: width - 3] + "..."


def mutants_of(path: Path) -> list[Mutant]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    rel = str(path.relative_to(ROOT))
    out = []
    for index, (node, parent, live, scope) in enumerate(walk(tree)):
        if not live:
            continue
        keyword = parent.arg if isinstance(parent, ast.keyword) else None
        context = _short(parent, 160) if isinstance(parent, ast.expr) else ""
        for kind, arg, description, *at in points(node, parent):
            line = getattr(at[0] if at else node, "lineno", 0)
            text = lines[line - 1].strip() if line else ""
            out.append(Mutant(rel, index, kind, arg, line, description, text, keyword, scope, context))
    return out


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, child in enumerate(value):
                if child is old:
                    value[i] = new
                    return
    raise LookupError("node not found in its parent")


def mutated_source(path: Path, m: Mutant | None) -> str:
    """The module's source with ``m`` applied (``None``: unchanged, but through the same unparse)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if m is not None:
        tree = copy.deepcopy(tree)
        node, parent, _, _ = next(x for i, x in enumerate(walk(tree)) if i == m.index)
        if m.kind == "compare":
            node.ops[m.arg] = COMPARE_SWAP[type(node.ops[m.arg])]()
        elif m.kind == "boolop":
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif m.kind in ("binop", "augassign"):
            node.op = BINOP_SWAP[type(node.op)]()
        elif m.kind == "unary":
            _replace(parent, node, node.operand)
        elif m.kind == "const":
            node.value = m.arg
        elif m.kind == "remove":
            if isinstance(node, ast.Dict):
                del node.keys[m.arg], node.values[m.arg]
            else:
                del node.elts[m.arg]
                if isinstance(node, ast.Set) and not node.elts:
                    _replace(parent, node, ast.Call(ast.Name("set", ast.Load()), [], []))
        elif m.kind == "return":
            node.value = None
        elif m.kind == "statement":
            _replace(parent, node, ast.Pass())
        elif m.kind == "continue":
            _replace(parent, node, ast.Break())
        else:  # pragma: no cover
            raise ValueError(m.kind)
        ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n"


def equivalent_reason(m: Mutant, rules: list[Rule]) -> str | None:
    for rule in rules:
        if rule.matches(m):
            return rule.reason
    return None


# --------------------------------------------------------------------------------------------------------
# Running the unit tests against one mutant


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves one module from the given source instead of the file, keeping the file's path as
    ``__file__`` (modules that read data next to them still find it)."""

    def __init__(self, name: str, origin: Path, source: str) -> None:
        self.name, self.origin, self.source = name, origin, source

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=str(self.origin))
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = str(self.origin)
        exec(compile(self.source, str(self.origin), "exec"), module.__dict__)  # noqa: S102


@dataclass
class Service:
    name: str  # the folder under services/
    package: str  # the import name
    tests: list[Path]

    @classmethod
    def of(cls, domain_file: Path, tests_root: Path = ROOT) -> Service:
        service = domain_file.relative_to(ROOT).parts[1]
        package = domain_file.parent.parent.name
        tests = sorted((tests_root / "services" / service / "tests" / "unit").glob("test_*.py"))
        return cls(service, package, tests)

    def module_name(self, domain_file: Path) -> str:
        return f"{self.package}.domain.{domain_file.stem}"

    def ordered_tests(self, domain_file: Path) -> list[str]:
        """The service's unit test files, those named after the module first (``-x`` stops at the first
        failure, so a mutant is usually killed by the first file)."""
        stem = domain_file.stem
        first = [t for t in self.tests if stem in t.stem]
        return [str(t) for t in first + [t for t in self.tests if t not in first]]


def _pytest_args(tests: list[str], timeout: float) -> list[str]:
    return [
        *tests,
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=--import-mode=importlib",
        f"--timeout={int(timeout) + 5}",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        # The warm-up imported the pytest plugins already; their asserts need no rewriting.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]


def _child(
    service: Service, module: str, origin: Path, source: str, tests: list[str], timeout: float, log: str
) -> None:
    """In the forked child: forget the service's modules, serve the mutant, run pytest, exit with its code."""
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        for name in list(sys.modules):
            if name == service.package or name.startswith(service.package + "."):
                del sys.modules[name]
        sys.meta_path.insert(0, _MutantFinder(module, origin, source))
        import pytest

        code = int(pytest.main(_pytest_args(tests, timeout)))
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 99
    os._exit(code)


def warm_up(service: Service) -> None:
    """Import once, in this process, every third-party module the service's unit tests load (found by a
    forked collect-only run), so that each forked child only imports the service's own code again."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        import pytest

        pytest.main([*_pytest_args([str(t) for t in service.tests], 300), "--collect-only"])
        with os.fdopen(write, "w") as w:
            w.write("\n".join(sorted(sys.modules)))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as r:
        names = r.read().split()
    os.waitpid(pid, 0)
    for name in names:
        if name in sys.modules or name == "__main__" or name.split(".")[0] == service.package:
            continue
        if name.startswith(("conftest", "test_", "tests")):
            continue
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: S112
            continue
        # Test modules and conftests are left to the children (they import the service's code).
        if "/tests/" in str(getattr(mod, "__file__", "") or "") or name.endswith("conftest"):
            sys.modules.pop(name, None)


@dataclass
class Job:
    mutant: Mutant | None
    pid: int
    started: float
    log: str


def run_all(
    service: Service,
    domain_file: Path,
    mutants: list[Mutant | None],
    jobs: int,
    timeout: float,
    log_dir: Path,
    on_done,
) -> None:
    module = service.module_name(domain_file)
    tests = service.ordered_tests(domain_file)
    pending = list(mutants)
    running: dict[int, Job] = {}
    while pending or running:
        while pending and len(running) < jobs:
            m = pending.pop(0)
            source = mutated_source(domain_file, m)
            log = str(
                log_dir
                / f"{domain_file.stem}-{'baseline' if m is None else m.index}-{m.kind if m else ''}.log"
            )
            pid = os.fork()
            if pid == 0:
                _child(service, module, domain_file, source, tests, timeout, log)
            running[pid] = Job(m, pid, time.monotonic(), log)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for job in list(running.values()):
                if now - job.started > timeout:
                    try:
                        os.killpg(job.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    os.waitpid(job.pid, 0)
                    del running[job.pid]
                    on_done(job, "timeout", None, now - job.started)
            time.sleep(0.05)
            continue
        job = running.pop(pid, None)
        if job is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - job.started
        # pytest: 0 all passed, 1 a test failed, 2 interrupted (a collection error: the module did not
        # even import), 3 internal error; anything else is this tool's own failure.
        state = {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(code, "error")
        on_done(job, state, code, elapsed)


# --------------------------------------------------------------------------------------------------------


@dataclass
class FileResult:
    file: str
    total: int = 0
    killed: int = 0
    timeouts: int = 0
    errors: int = 0
    excluded: list[dict] = field(default_factory=list)
    survivors: list[dict] = field(default_factory=list)
    baseline_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return 100.0 * (self.killed + self.timeouts) / self.total if self.total else 100.0


def domain_files(patterns: list[str]) -> list[Path]:
    files = sorted(p for p in ROOT.glob("services/*/src/*/domain/*.py") if p.name != "__init__.py")
    if patterns:
        files = [p for p in files if any(str(p).endswith(pat) for pat in patterns)]
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--files", nargs="*", default=[], help="only domain files whose path ends with one of these"
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument(
        "--out", type=Path, default=None, help=f"results (default {DEFAULT_OUT.relative_to(ROOT)})"
    )
    ap.add_argument("--keep-logs", type=Path, default=None, help="keep each child's pytest output here")
    ap.add_argument(
        "--tests-root",
        type=Path,
        default=ROOT,
        help="take services/*/tests/unit from this copy of the tree (to score an older set of tests)",
    )
    ap.add_argument("--min-score", type=float, default=0.0, help="exit 1 if a file scores below this")
    args = ap.parse_args()

    try:
        os.nice(max(0, 19 - os.nice(0)))
    except OSError:
        pass
    sys.dont_write_bytecode = True
    files = domain_files(args.files)
    if not files:
        print("no domain file matches", args.files, file=sys.stderr)
        return 2

    plan: dict[Path, tuple[list[Mutant], list[tuple[Mutant, str]]]] = {}
    for f in files:
        live, excluded = [], []
        for m in mutants_of(f):
            reason = equivalent_reason(m, EQUIVALENT)
            (excluded.append((m, reason)) if reason else live.append(m))
        plan[f] = (live, excluded)
    if args.list:
        for f, (live, excluded) in plan.items():
            print(f"== {f.relative_to(ROOT)}: {len(live)} mutants, {len(excluded)} excluded as equivalent")
            for m in live:
                print(
                    f"  {m.line:4d} {m.kind:9s} {m.scope[:24]:24s} {m.description}   | {m.source_line[:60]}"
                )
            for m, reason in excluded:
                print(f"  {m.line:4d} EXCLUDED  {m.description}: {reason}")
        return 0

    import tempfile

    log_dir = args.keep_logs or Path(tempfile.mkdtemp(prefix="mutation-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in ("results.jsonl", "mutants.jsonl"):
        (log_dir / old).unlink(missing_ok=True)
    started = time.monotonic()
    results: list[FileResult] = []
    by_service: dict[str, list[Path]] = {}
    for f in files:
        by_service.setdefault(f.relative_to(ROOT).parts[1], []).append(f)

    for service_name, service_files in by_service.items():
        # One warmed-up process per service: its children must not inherit another service's imports.
        pid = os.fork()
        if pid == 0:
            service = Service.of(service_files[0], args.tests_root.resolve())
            warm_up(service)
            for f in service_files:
                result = run_file(service, f, plan[f], args.jobs, log_dir)
                print(f"{result.file}: {result.score:.1f} %", file=sys.stderr, flush=True)
                with open(log_dir / "results.jsonl", "a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(result)) + "\n")
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"{service_name}: the run failed", file=sys.stderr)
            return 2

    for line in (log_dir / "results.jsonl").read_text(encoding="utf-8").splitlines():
        results.append(FileResult(**json.loads(line)))
    elapsed = time.monotonic() - started
    report(results, elapsed)
    out = args.out or (DEFAULT_OUT if not args.files else None)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "command": "make mutation",
                    "tests": "services/<service>/tests/unit only",
                    "seconds": round(elapsed, 1),
                    "jobs": args.jobs,
                    "totals": _totals(results),
                    "files": [{**asdict(r), "score": round(r.score, 1)} for r in results],
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if not args.keep_logs:
        import shutil

        shutil.rmtree(log_dir, ignore_errors=True)
    low = [r for r in results if r.score < args.min_score]
    return 1 if low else 0


def run_file(service: Service, f: Path, planned, jobs: int, log_dir: Path) -> FileResult:
    live, excluded = planned
    rel = str(f.relative_to(ROOT))
    result = FileResult(rel, total=len(live))
    result.excluded = [
        {"line": m.line, "mutation": m.description, "code": m.source_line, "reason": r} for m, r in excluded
    ]
    t0 = time.monotonic()
    baseline: list[tuple[str, float, str]] = []
    run_all(
        service, f, [None], 1, 900, log_dir, lambda job, state, code, s: baseline.append((state, s, job.log))
    )
    state, seconds, log = baseline[0]
    if state != "survived":
        tail = Path(log).read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{rel}: the unit tests do not pass on the unmutated module ({state}):\n{tail}")
    result.baseline_seconds = round(seconds, 2)
    # A mutant may loop for ever (a loop that never ends): three times the clean run is plenty.
    timeout = max(30.0, 3 * seconds + 15)

    def done(job: Job, state: str, code: int | None, s: float) -> None:
        m = job.mutant
        if state in ("killed", "timeout"):
            result.killed += state == "killed"
            result.timeouts += state == "timeout"
        else:
            if state == "error":
                result.errors += 1
            result.survivors.append(
                {
                    "line": m.line,
                    "kind": m.kind,
                    "mutation": m.description,
                    "code": m.source_line,
                    "state": state,
                }
            )
        print(f"  {rel}:{m.line} {m.description}: {state} ({s:.1f} s)", file=sys.stderr, flush=True)
        with open(log_dir / "mutants.jsonl", "a", encoding="utf-8") as out:
            out.write(
                json.dumps({**asdict(m), "state": state, "seconds": round(s, 2)}, ensure_ascii=False) + "\n"
            )

    run_all(service, f, live, jobs, timeout, log_dir, done)
    result.survivors.sort(key=lambda s: s["line"])
    result.seconds = round(time.monotonic() - t0, 1)
    return result


def _totals(results: list[FileResult]) -> dict:
    total = sum(r.total for r in results)
    killed = sum(r.killed + r.timeouts for r in results)
    return {
        "mutants": total,
        "killed": killed,
        "score": round(100.0 * killed / total, 1) if total else 100.0,
        "excluded": sum(len(r.excluded) for r in results),
    }


def report(results: list[FileResult], elapsed: float) -> None:
    width = max(len(r.file) for r in results)
    print()
    print(f"{'file':{width}}  killed/total      %  excluded  survivors")
    for r in results:
        killed, excluded, survived = r.killed + r.timeouts, len(r.excluded), len(r.survivors)
        print(f"{r.file:{width}}  {killed:6d}/{r.total:<5d} {r.score:6.1f}  {excluded:8d}  {survived:9d}")
    t = _totals(results)
    print(f"{'all':{width}}  {t['killed']:6d}/{t['mutants']:<5d} {t['score']:6.1f}  {t['excluded']:8d}")
    print(f"{elapsed:.0f} s")
    for r in results:
        for s in r.survivors:
            print(f"survived  {r.file}:{s['line']}  {s['mutation']}   | {s['code'][:80]}")


if __name__ == "__main__":
    sys.exit(main())
