"""What the benchmarks share: Odoo's bootstrap, their command line, timing and output.

Imported first by every benchmark script: it puts Odoo (``ODOO_SRC``) on the path.
The data generator they share is in ``datagen.py``.
"""

# A benchmark prints its figures.
# pylint: disable=print-used

import argparse
import contextlib
import cProfile
import functools
import io
import itertools
import os
import platform
import pstats
import re
import sys
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timezone

ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")
sys.path.insert(0, ODOO_SRC)  # Odoo is not installed in the virtualenv: it is imported from its source

import odoo  # noqa: E402
from odoo import sql_db  # noqa: E402

MODULE = "trade_crm_tiering"
RUNS = 3  # runs of a timed screen: the first (cold caches) and the best are reported


def out(text=""):
    print(text, flush=True)


def verdict(ok):
    return "met" if ok else "MISSED"


def print_table(rows, measured_width, target_width):
    """A summary table of ``(figure, measured, target, verdict)`` rows."""
    width = max(len(row[0]) for row in rows)
    out(f"  {'figure':<{width}}  {'measured':>{measured_width}}  {'target':>{target_width}}  verdict")
    for name, value, target, ok in rows:
        out(f"  {name:<{width}}  {value:>{measured_width}}  {target:>{target_width}}  {ok}")


def utc_now():
    """Now in UTC, naive and to the second, as Odoo stores datetimes."""
    return datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)


# ----------------------------------------------------------------------
# Command line and Odoo
# ----------------------------------------------------------------------


def make_parser(doc):
    """A parser whose help starts with the benchmark's docstring, line breaks kept."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_size_arguments(
    parser,
    orders=True,
    customers_help="customers (commercial partners) to generate",
    seed_help="random seed of the data",
):
    """--customers, --orders (unless ``orders`` is false) and --seed of the generated data."""
    parser.add_argument("--customers", type=int, default=100_000, help=customers_help)
    if orders:
        parser.add_argument("--orders", type=int, default=1_000_000, help="confirmed sale orders to generate")
    parser.add_argument("--seed", type=int, default=42, help=seed_help)


def add_database_arguments(parser, db_help="database (the add-on installed, no bench data yet)"):
    """The flags tools/bench sets for every benchmark: the database and Odoo's paths."""
    parser.add_argument("--db", required=True, help=db_help)
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--db-user", default="odoo")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--data-dir", required=True)


def odoo_options(args):
    """Odoo's command-line options for the database flags."""
    return [
        f"--addons-path={args.addons_path}",
        f"--data-dir={args.data_dir}",
        f"--db_host={args.db_host}",
        f"--db_port={args.db_port}",
        f"--db_user={args.db_user}",
        f"--database={args.db}",
    ]


def open_registry(args):
    """Odoo configured from the database flags, without cron threads; the registry of ``--db``."""
    odoo.tools.config.parse_config([*odoo_options(args), "--log-level=warn", "--max-cron-threads=0"])
    return odoo.modules.registry.Registry(args.db)


@contextlib.contextmanager
def superuser_env(registry):
    """An environment of the superuser on a new cursor of ``registry`` (closed at the end)."""
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def run_bench(bench_class, args):
    """``bench_class(args, env).run()``, ``env`` the superuser's on the database of ``args``."""
    with superuser_env(open_registry(args)) as env:
        bench_class(args, env).run()


def grading_company(env):
    """The main company, data upgrades applied at once: the benchmarks time grading, not approval requests."""
    company = env.ref("base.main_company")
    company.tiering_auto_upgrade = "apply"
    return company


def as_user(env, user, company):
    """``env`` as ``user`` in ``company``, so that record rules apply."""
    return env(user=user.id, context={"allowed_company_ids": [company.id], "lang": "en_US", "tz": "UTC"})


def machine():
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPU(s) ({os.cpu_count()} online), {model}, {memory} RAM, Python {platform.python_version()}"


def print_machine(cr):
    """The first line of a benchmark: the machine and the PostgreSQL server."""
    cr.execute("SHOW server_version")
    out(f"machine: {machine()}, PostgreSQL {cr.fetchone()[0]}")


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


class Clock:
    """Wall time and SQL query count of a block."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    @contextlib.contextmanager
    def run(self):

        q0, t0 = sql_db.sql_counter, time.perf_counter()
        try:
            yield self
        finally:
            self.seconds = time.perf_counter() - t0
            self.queries = sql_db.sql_counter - q0


def timed(function, runs=RUNS):
    """``(first run, best run, result)`` in seconds; caches are cleared before the first run only."""
    times, result = [], None
    for _run in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times[0], min(times), result


class Recorder:
    """The figures of a benchmark of screens: each printed when measured, all kept for the summary."""

    def __init__(self, target_s):
        self.target_s = target_s
        self.rows = []  # (figure, first, best, note, target)

    def record(self, figure, first, best, note="", target=True):
        self.rows.append((figure, first, best, note, target))
        mark = verdict(best <= self.target_s) if target else ""
        out(f"    {figure}: first {first:.3f} s, best of {RUNS} {best:.3f} s {note} {mark}")

    def mark(self, best, target):
        """The verdict column of the summary."""
        return verdict(best <= self.target_s) if target else "(not a target)"


@contextlib.contextmanager
def maybe_profile(enabled, label, out):
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(25)
        out(f"    cProfile of {label}:\n{buffer.getvalue()}")


def explain(cr, samples, out):
    """EXPLAIN ANALYZE each query; then again without JIT, for its execution time alone."""
    for query, params in samples:
        head = re.sub(r"\s+", " ", query).strip()[:80]
        cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
        plan = "\n".join(f"        {row[0]}" for row in cr.fetchall())
        out(f"    EXPLAIN ANALYZE {head}...\n{plan}")
        cr.execute("SET LOCAL jit = off")
        cr.execute("EXPLAIN (ANALYZE, TIMING OFF) " + query, params)
        lines = [row[0].strip() for row in cr.fetchall()]
        cr.execute("RESET jit")
        summary = [line for line in lines if line.startswith(("Execution Time", "Planning Time"))]
        out(f"      same with jit = off: {'; '.join(summary)}")


class Probe:
    """Inclusive time, calls and queries of chosen model methods, and of every SQL query.

    Wraps the ``steps`` (model, method) and the ``create`` of the ``creates`` models on the
    registry classes (the add-on's code is untouched) and hooks Odoo's per-thread query hook to
    log each query's duration. The results of the ``keep`` method's calls are kept in ``results``.
    """

    def __init__(self, steps, creates=(), keep=None):
        self.step_names = steps
        self.creates = creates
        self.keep = keep
        self.steps = defaultdict(lambda: [0, 0.0, 0])  # name: [calls, seconds, queries]
        self.sql = defaultdict(lambda: [0, 0.0, None, 0.0])  # statement: [count, seconds, (query, params), max]
        self.sql_seconds = 0.0
        self.results = []

    def install(self, registry):
        for model, name in dict.fromkeys(self.step_names):
            cls = registry[model]
            setattr(cls, name, self._wrap(name, getattr(cls, name)))
        for model in self.creates:
            cls = registry[model]
            cls.create = self._wrap(f"{model}.create", cls.create)
        threading.current_thread().query_hooks = [self._on_query]

    def _wrap(self, name, method):
        probe = self

        @functools.wraps(method)
        def wrapper(*args, **kwargs):

            entry = probe.steps[name]
            q0, t0 = sql_db.sql_counter, time.perf_counter()
            try:
                result = method(*args, **kwargs)
            finally:
                entry[0] += 1
                entry[1] += time.perf_counter() - t0
                entry[2] += sql_db.sql_counter - q0
            if name == probe.keep:
                probe.results.append(result)
            return result

        return wrapper

    def _on_query(self, cr, query, params, start, delay):
        text = query.decode() if isinstance(query, bytes) else str(query)
        key = re.sub(r"\s+", " ", text).strip()[:110]
        entry = self.sql[key]
        entry[0] += 1
        entry[1] += delay
        if entry[2] is None:
            entry[2] = (text, params)
        entry[3] = max(entry[3], delay)
        self.sql_seconds += delay

    def reset(self):
        self.steps.clear()
        self.sql.clear()
        self.sql_seconds = 0.0
        self.results.clear()

    def report(self, total_seconds, names, top=8):
        """The ``names`` steps that ran, in that order, then the SQL time and the slowest statements."""
        lines = ["      engine sub-steps (inclusive):        calls      time   queries"]
        for name in dict.fromkeys(names):
            if name in self.steps:
                calls, seconds, queries = self.steps[name]
                lines.append(f"        {name:<36} {calls:>5} {seconds:>8.2f} s {queries:>8}")
        python = max(total_seconds - self.sql_seconds, 0)
        lines.append(
            f"      SQL: {sum(entry[0] for entry in self.sql.values())} queries, {self.sql_seconds:.2f} s in "
            f"PostgreSQL of {total_seconds:.2f} s wall ({python:.2f} s in Python)"
        )
        lines.append("      slowest statements:                            count      time")
        for key, (count, seconds, _sample, _max) in sorted(self.sql.items(), key=lambda item: -item[1][1])[:top]:
            lines.append(f"        {key[:60]:<60} {count:>6} {seconds:>8.2f} s")
        return "\n".join(lines)

    def statements(self, indent="        "):
        return "\n".join(f"{indent}{entry[0]} x {key}" for key, entry in self.sql.items())

    def slowest_selects(self, limit=2):
        """The SELECTs that took longest in one execution."""
        selects = [
            (longest, sample)
            for _count, _seconds, sample, longest in self.sql.values()
            if sample and re.match(r"\s*(SELECT|WITH)\b", sample[0], re.IGNORECASE)
        ]
        return [sample for _longest, sample in sorted(selects, key=lambda item: -item[0])[:limit]]


def callback_name(func):
    model = getattr(getattr(func, "__self__", None), "_name", None)
    name = getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", None) or repr(func)
    return f"{model}.{name}" if model else name


class AttributedHooks(deque):
    """Stands in for ``cr.precommit``'s queue: times each commit hook and counts its queries.

    A hook queued while another runs is attributed to the one that queued it (for instance the
    mail tracking hook that a regrade's ORM write queues is attributed to the regrade). What the
    ``watch`` hook (a name ending) leaves unflushed is noted when it ends.
    """

    def __init__(self, env, watch=None):
        super().__init__()
        self.env = env
        self.watch = watch
        self.owners = {}
        self.rows = []  # (hook, owner, queries, seconds)
        self.left_dirty = None
        self.dirty_after_watch = None
        self.sentinel = self._leftover  # one bound method: identity marks it

    def popleft(self):
        func = super().popleft()
        name = callback_name(func)
        owner = self.owners.pop(id(func), name)

        def run():

            before = len(self)  # hooks only ever append: what func queued is at the right end
            q0, t0 = sql_db.sql_counter, time.perf_counter()
            func()
            if func is not self.sentinel:
                self.rows.append((name, owner, sql_db.sql_counter - q0, time.perf_counter() - t0))
            if self.watch and name.endswith(self.watch):
                self.dirty_after_watch = self.dirty()
            for queued in itertools.islice(reversed(self), max(len(self) - before, 0)):
                self.owners[id(queued)] = owner

        return run

    def _leftover(self):
        """Queued last: what is still unflushed when it runs is never written (COMMIT follows)."""
        if len(self):
            self.append(self.sentinel)
            return
        self.left_dirty = self.dirty()

    def dirty(self):
        """``{field: record count}`` of the ORM writes not flushed to the database yet."""
        return {f"{field.model_name}.{field.name}": len(ids) for field, ids in self.env.cache._dirty.items() if ids}

    def queries(self, owner=None):
        return sum(q for _name, own, q, _s in self.rows if owner is None or own == owner)

    def seconds(self, owner=None):
        return sum(sec for _name, own, _q, sec in self.rows if owner is None or own == owner)

    def report(self, indent="      "):
        grouped = {}
        for name, owner, queries, seconds in self.rows:
            entry = grouped.setdefault((name, owner), [0, 0, 0.0])
            entry[0] += 1
            entry[1] += queries
            entry[2] += seconds
        lines = [
            f"{indent}hook {name}{f' (queued by {owner})' if owner != name else ''}: "
            f"{calls} call(s), {queries} queries, {seconds:.2f} s"
            for (name, owner), (calls, queries, seconds) in grouped.items()
        ]
        if self.dirty_after_watch is not None:
            lines.append(
                f"{indent}left unflushed by the grading hook itself (written only if a later hook flushes): "
                f"{self.dirty_after_watch or 'nothing'}"
            )
        lines.append(f"{indent}left unflushed by the commit hooks, lost at COMMIT: {self.left_dirty or 'nothing'}")
        return "\n".join(lines)


def commit_attributed(env, watch=None):
    """``env.cr.commit()`` with its precommit hooks attributed. Returns (hooks, clock)."""
    cr = env.cr
    hooks = AttributedHooks(env, watch)
    hooks.extend(cr.precommit._funcs)
    hooks.append(hooks.sentinel)
    cr.precommit._funcs = hooks
    clock = Clock()
    try:
        with clock.run():
            cr.commit()
    finally:
        cr.precommit._funcs = deque()
    return hooks, clock
