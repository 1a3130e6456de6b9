"""The ``baiji-sim`` command line: a thin layer over the public API in :mod:`sim`.

Exit codes: 0 success; 1 some replications failed; 2 bad input (a scenario
file or an option, a results folder that may not be written), with one message
naming the file and field; 74 a file could not be written (a full disk: what
finished is kept); 130 stopped by Ctrl-C (what finished is written).

Everything printed goes through :data:`out_console` and :data:`err_console`, which
write bidirectional control characters (U+202E...) out as ``<U+202E>``: one in a
scenario name must not reverse the rest of a terminal line.
"""

from __future__ import annotations

import difflib
import math
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn, cast
from urllib.parse import urlsplit

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

import sim
from sim.cli.run_options import BATCH_ONLY, KEPT, RunOptions

# The model, numpy, pydantic and rich's tables are imported by the commands that use them:
# `--help` and `--version` pay only for typer and rich (tests/test_cli.py checks the modules
# they load; benchmarks/bench_startup.py times them).
if TYPE_CHECKING:
    from rich.progress import Progress

    from sim.analysis.sequential import StoppingReport
    from sim.runner.batch import BatchResult
    from sim.scenario.levers import Lever
    from sim.scenario.loading import ScenarioError
    from sim.scenario.provenance import ParameterRow
    from sim.scenario.schema import Scenario
    from sim.scenario.uncertainty import Uncertainty

# Bounds of the options (docs/model.md, section 4): far above any real use, low enough that a
# mistyped value is refused at once instead of filling the memory with a plan of the batch.
MAX_REPLICATIONS = 1_000_000  # per scenario (or per point of a sweep or a design)
MAX_WORKERS = 1024
MAX_SWEEP_POINTS = 1000  # values of one --values
MAX_DESIGN = 100_000  # Morris trajectories, Sobol base sample
MAX_SEED = (1 << 64) - 1  # a replication's seed is one 64-bit word
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc", "ucx")

_ClickException: type[Any] = next(c for c in typer.BadParameter.__mro__
                                  if c.__name__ == "ClickException")


def _help_with_whole_names(format_help: Callable[[Any, Any], None], ctx: Any,
                           formatter: Any) -> None:
    """Typer's rich help, with the option names kept whole and the help readable at 80
    columns: typer gives a long name, its short form and the negative form (``--no-plots``)
    a column each, and at 80 columns rich shrinks them all, names included
    (``--precision-metr…``), leaving a help column of 19 characters. Here the forms of a
    name share one column that never wraps (``--replications -n``; the negative form on a
    line of its own), so the type and help columns give way instead of the names."""
    from rich.table import Table
    from rich.text import Text

    try:
        from typer import rich_utils
    except ImportError:  # typer without rich: click's plain help never cuts a name
        format_help(ctx, formatter)
        return

    class NamesWhole(Table):
        def add_row(self, *renderables: Any, **kwargs: Any) -> None:
            cells = list(renderables)
            # An options row: [required,] long, short, negative long, negative short, type,
            # help (typer 0.12 to 0.29); any other table is left as it is.
            if not self.show_header and len(cells) in (6, 7) and all(
                    isinstance(c, Text) for c in cells[-6:-2]):
                long, short, negative, negative_short = cells[-6:-2]
                name = Text()
                for k, part in enumerate((long, short, negative, negative_short)):
                    if part.plain:
                        if name.plain:
                            name.append("\n" if k == 2 else " ")
                        name.append_text(part)
                cells = [*cells[:-6], name, *cells[-2:]]
            super().add_row(*cells, **kwargs)
            for column in self.columns[:-2]:  # names; the type and help columns wrap
                column.no_wrap = True

    saved = getattr(rich_utils, "Table", None)
    if saved is not Table:  # another typer: leave its help as it is
        format_help(ctx, formatter)
        return
    rich_utils.Table = NamesWhole  # type: ignore[misc]
    try:
        format_help(ctx, formatter)
    finally:
        rich_utils.Table = saved  # type: ignore[misc]


class _Command(TyperCommand):
    """A command whose help keeps the option names whole at any width."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_with_whole_names(super().format_help, ctx, formatter)


class _OneLineErrors(TyperGroup):
    """Every bad option, as every bad file, gets one line and exit code 2: click's usage
    errors (a value out of range, not a number, an unknown option) included, instead of a
    usage text and a boxed message."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args,
                                **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args,
                                **extra)
        except _ClickException as exc:
            from sim.scenario.loading import one_line

            message = one_line(" ".join(exc.format_message().split()))
            if message:  # none when the help was shown for a command given no arguments
                ctx = getattr(exc, "ctx", None)
                where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
                err_console.print(f"error: {message}{where}", markup=False)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("aborted", markup=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_with_whole_names(super().format_help, ctx, formatter)


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  cls=_OneLineErrors,
                  help="Monte Carlo simulation of the 2014-15 siege of the Baiji refinery.")
EXIT_WRITE = 74  # EX_IOERR (sysexits.h): a file of the results could not be written


def _print_version(value: bool) -> None:
    if value:
        print(f"baiji-sim {sim.__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Monte Carlo simulation of the 2014-15 siege of the Baiji refinery."""


class _ShownControls:
    """``sys.stdout`` or ``sys.stderr`` (whichever is current when written to, as the
    consoles' default is) with bidirectional controls written out (``<U+202E>``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def write(self, text: str) -> int:
        from sim.output.results_folder import show_bidi_controls

        return getattr(sys, self._name).write(show_bidi_controls(text))

    def __getattr__(self, attr: str) -> Any:
        if attr == "rich_proxied_file":  # rich's progress display must not bypass this
            raise AttributeError(attr)
        return getattr(getattr(sys, self._name), attr)


# Piped output (files, CI, tests) gets a fixed wide width so tables and logs do not wrap.
# soft_wrap: a message or log line is one line, however long (grep-able); tables still fit.
out_console = Console(file=cast(IO[str], _ShownControls("stdout")), highlight=False, soft_wrap=True,
                      width=None if sys.stdout.isatty() else 160)
err_console = Console(file=cast(IO[str], _ShownControls("stderr")), highlight=False, soft_wrap=True,
                      width=None if sys.stderr.isatty() else 160)

ScenarioFiles = Annotated[list[Path], typer.Argument(help="Scenario YAML files.",
                                                     show_default=False)]
SetOption = Annotated[list[str], typer.Option(
    "--set", help="Override a value: path.to.key=value (repeatable).")]


def _fail(exc: ScenarioError) -> NoReturn:
    err_console.print(f"error: {exc}", markup=False)  # one line: ScenarioError escapes
    raise typer.Exit(2)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _bad_option(option: str, message: str) -> NoReturn:
    from sim.scenario.loading import one_line

    text = one_line(f"{option}: {message}")
    if len(text) > 2000:
        text = text[:1975] + f"...({len(text):,} characters)"
    err_console.print(f"error: {text}", markup=False)
    raise typer.Exit(2)


def _check_metric(option: str, name: str, allowed: Sequence[str] | None = None,
                  what: str = "a metric") -> None:
    """``name`` is one of ``allowed`` (default: every metric), or exit 2 with a "did you
    mean" and the names to choose from."""
    from sim.model.metrics import METRICS

    allowed = list(METRICS if allowed is None else allowed)
    if name not in allowed:
        hint = [] if name in METRICS else difflib.get_close_matches(name, allowed, n=1)
        choose = (f"; did you mean '{hint[0]}'? Choose" if hint else
                  " (a metric this command does not report); choose" if name in METRICS else
                  "; choose")
        _bad_option(option, f"'{name}' is not {what}{choose} from {', '.join(allowed)}")


def _write_failed(exc: Exception, kept: str) -> NoReturn:
    """A file of the results could not be written: one line, exit 74."""
    err_console.print(f"error: {exc}; {kept}", markup=False)
    raise typer.Exit(EXIT_WRITE)


def _check_scheduler(address: str) -> None:
    """A Dask scheduler's address is SCHEME://HOST:PORT, checked before connecting."""
    hint = "give the scheduler's address as tcp://HOST:PORT"
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as exc:
        _bad_option("--scheduler", f"'{address}' is not an address ({exc}); {hint}")
    if parts.scheme not in SCHEDULER_SCHEMES:
        _bad_option("--scheduler", f"'{address}' is not an address: the scheme must be one of "
                    f"{', '.join(s + '://' for s in SCHEDULER_SCHEMES)}; {hint}")
    if parts.scheme != "inproc" and (not parts.hostname or port is None):
        _bad_option("--scheduler", f"'{address}' needs a host and a port; {hint}")


def _check_bounded(option: str, value: float | None, top: float) -> None:
    """A numeric option within its documented bound (and finite)."""
    if value is not None and not (math.isfinite(value) and value <= top):
        _bad_option(option, f"{value} is out of range: at most {top:,} (docs/model.md, "
                    "section 4)" if math.isfinite(value) else
                    f"{value} is not allowed: give a finite number")


@app.command(cls=_Command)
def run(
    ctx: typer.Context,
    scenarios: Annotated[list[Path] | None, typer.Argument(
        help="Scenario YAML files (none with --resume).", show_default=False)] = None,
    replications: Annotated[int, typer.Option("-n", "--replications", min=1,
                                              help="Replications per scenario.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Batch seed (same seed, same numbers).")] = 1,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes (default: all cores).", show_default=False)] = None,
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results"),
    overrides: SetOption = [],  # noqa: B006 - typer reads the default, never mutates it
    plots: Annotated[bool, typer.Option(help="Write plots.")] = True,
    baseline: Annotated[str | None, typer.Option(
        help="Compare every other scenario with this one, replication by replication.",
        show_default=False)] = None,
    select: Annotated[str, typer.Option(
        help="Outcome for choosing the best scenario (subset selection).")] = "operating_days",
    minimize: Annotated[bool, typer.Option(
        help="For --select: smaller is better.")] = False,
    precision: Annotated[float | None, typer.Option(
        min=0.0, help="Run until every --precision-metric has a 95% CI half-width within this "
        "share of its mean; -n is then the first block.", show_default=False)] = None,
    abs_precision: Annotated[float | None, typer.Option(
        min=0.0, help="For 0/1 metrics with --precision: an absolute half-width instead.",
        show_default=False)] = None,
    precision_metric: Annotated[list[str], typer.Option(
        help="Metric that must be precise (repeatable).")] = ["operating_days",  # noqa: B006
                                                               "garrison_held"],
    max_replications: Annotated[int, typer.Option(
        min=2, help="With --precision: the most replications per scenario.")] = 20000,
    resume: Annotated[Path | None, typer.Option(
        help="Finish the interrupted batch in this results folder.", show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Run on this Dask cluster (tcp://HOST:PORT).", show_default=False)] = None,
    dask: Annotated[str | None, typer.Option(
        help="'local': start a local Dask cluster of --workers processes.",
        show_default=False)] = None,
    plot_format: Annotated[str, typer.Option(help="png, svg or pdf.")] = "png",
    parquet: Annotated[bool, typer.Option(
        help="Also write replications.parquet (needs the parquet extra).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the earlier run, finished or not, in --out (its files are "
        "removed first).")] = False,
    uncertainty: Annotated[bool, typer.Option(
        "--uncertainty", help="Draw every uncertain parameter from its provenance range "
        "(Latin hypercube; facts stay fixed) and say how much of each outcome's spread "
        "comes from the parameters and how much from chance.")] = False,
    per_draw: Annotated[int, typer.Option(
        min=2, help="With --uncertainty: replications that share one draw.")] = 4,
    shape: Annotated[str, typer.Option(
        help="With --uncertainty: uniform, or triangular (mode: the scenario's value).")
    ] = "uniform",
    calibration: Annotated[bool, typer.Option(
        "--calibration", hidden=True, help="Set by calibrate: write calibrated.yaml.")
    ] = False,
) -> None:
    """Run a Monte Carlo batch of each scenario and compare them.

    Results stream to --out chunk by chunk; if the run is stopped (Ctrl-C or a
    kill), what finished is written and --resume OUT finishes the batch. A run
    owns its folder: --out must be new, empty, or hold an earlier run (replaced
    only with --force).
    """
    from sim.runner.cluster import engine
    from sim.runner.pool import default_workers, start_fork_server
    from sim.runner.store import FolderError, claim_folder, finish, run_to_folder
    from sim.scenario.loading import ScenarioError, load_scenarios

    _check_run_options(replications, max_replications, workers, seed, precision,
                       abs_precision, scheduler, dask, plot_format)
    if (workers or default_workers()) > 1 and scheduler is None and dask is None:
        start_fork_server()  # the workers' fork server boots while the scenarios load
    drawn = _uncertainty_option(uncertainty, per_draw, shape, precision)
    options = RunOptions(baseline, select, minimize, plots, plot_format, parquet=parquet,
                         command=["baiji-sim", *sys.argv[1:]], precision=precision,
                         abs_precision=abs_precision, precision_metric=list(precision_metric),
                         max_replications=max(max_replications, replications),
                         uncertainty=None if drawn is None else [drawn.per_draw, drawn.shape],
                         calibration=calibration)
    if resume is not None:
        if force:
            _bad_option("--force", "--resume finishes the batch in the folder and --force "
                        "starts a new one over it: give one of them")
        loaded, replications, seed, options = _resumed(ctx, resume, options, replications,
                                                       seed, out)
        out = resume
        precision, abs_precision = options.precision, options.abs_precision
        precision_metric = options.precision_metric
        kept_draws = options.uncertainty or [per_draw, shape]
        drawn = _uncertainty_option(options.uncertainty is not None, int(kept_draws[0]),
                                    str(kept_draws[1]), precision)
    else:
        if not scenarios:
            _bad_option("SCENARIO", "give at least one scenario file")
        try:
            loaded = load_scenarios(scenarios, overrides)
        except ScenarioError as exc:
            _fail(exc)
        options.sources = {s.name: str(p) for s, p in zip(loaded, scenarios, strict=True)}
    _check_names(loaded, scenarios, options, precision_metric)
    _check_parquet(options)
    _posterior_note(loaded, drawn)
    if resume is None:
        try:
            claim_folder(out, force)
        except FolderError as exc:
            _bad_option("--out", str(exc))
    workers = workers or default_workers()
    total = (options.max_replications if precision else replications) * len(loaded)
    stopping = None
    with _run_errors(out, resume, scheduler):
        with engine(scheduler, dask == "local", workers) as executor, \
                _advancing(total, "run") as advance:
            if precision:
                batch, stopping = _run_until_precise(loaded, options, out, replications,
                                                     seed, workers, executor, advance,
                                                     new=resume is None)
            else:
                batch = run_to_folder(loaded, replications, out, seed=seed, workers=workers,
                                      executor=executor, resume=resume is not None,
                                      progress=advance, options=options.to_json(),
                                      uncertainty=drawn)
        _prepare_figures(options, batch, executor, workers)
        # Imported only after the batch: scipy takes half a second, and the worker processes,
        # which import the main module again, would each pay it and keep it in memory.
        from sim.analysis.analyse import analyse
        from sim.output.results import write_results

        summary = analyse(batch, baseline=options.baseline, select=options.select,
                          minimize=options.minimize, stopping=stopping)
        write_results(batch, out, summary, sources=options.sources, workers=workers,
                      plots=options.plots, command=options.command,
                      plot_format=options.plot_format, parquet=options.parquet,
                      resumed_with=["baiji-sim", *sys.argv[1:]] if resume else None)
        if not batch.interrupted:
            finish(out)
    _print_summary(summary)
    if options.calibration and not batch.interrupted:
        _write_calibrated(batch, out, options, summary)
    per = f"{replications} per scenario" if precision is None else "sequential"
    _end_run(batch, out, total, f"{per}, seed {seed}, {workers} workers")


def _check_parquet(options: RunOptions) -> None:
    """--parquet (given, or kept by the folder resumed) needs pyarrow: said before the run."""
    if options.parquet:
        from sim.output.results import parquet_missing

        missing = parquet_missing()
        if missing:
            _bad_option("--parquet", f"writing Parquet needs pyarrow, which is not "
                        f"installed: {missing}")


def _prepare_figures(options: RunOptions, batch: BatchResult, executor: Any,
                     workers: int) -> None:
    """The figures are drawn on the local pool's workers (sim.output.plots.write_plots):
    they import matplotlib and scipy (about a second each) while this process analyses and
    writes the results, instead of after."""
    if options.plots and executor is None and workers > 1 and not batch.interrupted:
        from sim.runner.pool import preload

        preload(workers, ["sim.output.plots"])


ESS_GOAL = 200  # effective draws for a posterior's 5% and 95% quantiles (benchmarks/README.md)


def _posterior_note(loaded: list[Scenario], drawn: Uncertainty | None) -> None:
    """Say where a calibrated scenario's parameters come from in this run."""
    for s in loaded:
        if s.posterior is None:
            continue
        if drawn is None:
            err_console.print(f"note: {s.name} carries a posterior of "
                              f"{len(s.posterior.draws)} draws; without --uncertainty it runs "
                              "its own values (the original's), not the posterior",
                              markup=False)
        else:
            err_console.print(f"note: {s.name}: {len(s.posterior.parameters)} parameters "
                              f"drawn from its posterior ({len(s.posterior.draws)} weighted "
                              f"draws, from {s.posterior.source.folder}), the others from "
                              "their ranges", markup=False)


def _write_calibrated(batch: BatchResult, out: Path, options: RunOptions,
                      summary: dict[str, Any]) -> None:
    """calibrated.yaml: the calibrated scenario a later run draws its parameters from."""
    from sim.output.calibrated_file import write_calibrated

    try:
        written = write_calibrated(batch, out, options.sources)
    except OSError as exc:
        _write_failed(exc, f"the calibration's results are in {out}/")
    if written and not options.plots:  # the calibration's own figures, drawn anyway
        from sim.output.plots import write_plots

        write_plots(out, options.plot_format, figures=["posterior_pairs", "posterior_marginals"])
    for path in written:
        out_console.print(f"calibrated scenario: {path} (run it with --uncertainty); figures "
                          f"in {out}/plots/", markup=False)
    for name, c in (summary.get("calibration") or {}).items():
        ess, runs = float(c.get("ess") or 0.0), int(c["draws"]) * int(c["per_draw"])
        if 0.0 < ess < ESS_GOAL:
            err_console.print(f"note: {name}: effective sample size {ess:.0f}, below "
                              f"{ESS_GOAL}: the posterior's quantiles are rough; about "
                              f"{math.ceil(runs * ESS_GOAL / ess / 1000) * 1000:,} "
                              "replications (-n) would reach it", markup=False)
    if not written:
        err_console.print("no calibrated.yaml: no draw agrees with every observation "
                          "(see the table above); try more replications", markup=False)


def _run_until_precise(loaded: list[Scenario], options: RunOptions, out: Path,
                       replications: int, seed: int, workers: int, executor: Any,
                       advance: Callable[[int], None], new: bool
                       ) -> tuple[BatchResult, StoppingReport]:
    """A run until precise, its blocks streamed to ``out`` (a new one is described first)."""
    from sim.analysis.sequential import run_until_precise
    from sim.runner.store import block_sink, start_blocks

    assert options.precision is not None
    initial = max(2, replications)
    if new:
        start_blocks(out, loaded, initial, seed, options.to_json())
    return run_until_precise(
        loaded, options.precision_metric, options.precision, options.max_replications,
        abs_precision=options.abs_precision, initial=initial, seed=seed, workers=workers,
        progress=advance, executor=executor, sink_for=block_sink(out, seed))


def _end_run(batch: BatchResult, out: Path, total: int, how: str) -> None:
    """The run's last lines, and its exit code: 130 if stopped, 1 if replications failed."""
    finished = sum(len(r.seed) for r in batch.runs)
    out_console.print(f"{finished} replications ({how}); results in {out}/", markup=False)
    if batch.failures:
        err_console.print(f"{len(batch.failures)} replications failed; see "
                          f"{out}/manifest.json (scenario, seed, error)", markup=False)
    if batch.interrupted:
        err_console.print(f"interrupted: kept {finished} of {total} replications in {out}/; "
                          f"finish with: baiji-sim run --resume {out}", markup=False)
        raise typer.Exit(130)
    if batch.failures:
        raise typer.Exit(1)


@contextmanager
def _run_errors(out: Path, resume: Path | None, scheduler: str | None) -> Iterator[None]:
    """What a run ends with when it cannot finish: one line and the documented exit code.
    A kill (SIGTERM) stops the batch like Ctrl-C: what finished is kept."""
    from sim.runner.cluster import ClusterError
    from sim.runner.store import PARTS, FolderError, ResumeError, WriteError

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    except ClusterError as exc:
        _bad_option("--scheduler" if scheduler else "--dask", str(exc))
    except (FolderError, ResumeError) as exc:  # the folder changed under the run
        _bad_option("--out" if resume is None else "--resume", str(exc))
    except WriteError as exc:  # a part or a results file: a full disk, a read-only folder
        _write_failed(exc, f"the finished replications are kept in {out}/{PARTS}/: free some "
                      f"space, then finish with: baiji-sim run --resume {out}")
    except KeyboardInterrupt:  # after the batch, while the results were being written
        err_console.print(f"interrupted while writing the results in {out}/: "
                          f"finish with: baiji-sim run --resume {out}", markup=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _uncertainty_option(wanted: bool, per_draw: int, shape: str, precision: float | None
                        ) -> Uncertainty | None:
    """--uncertainty's settings, checked (a run until precise grows its batch, which a Latin
    hypercube over the replications cannot follow)."""
    from sim.scenario.uncertainty import SHAPES, Uncertainty

    if not wanted:
        return None
    if precision is not None:
        _bad_option("--uncertainty", "cannot go with --precision: the draws are a Latin "
                    "hypercube over a batch of known size; give -n")
    if shape not in SHAPES:
        _bad_option("--shape", f"'{shape}': choose {' or '.join(SHAPES)}")
    return Uncertainty(per_draw, shape)


def _check_run_options(replications: int, max_replications: int, workers: int | None,
                       seed: int, precision: float | None, abs_precision: float | None,
                       scheduler: str | None, dask: str | None, plot_format: str) -> None:
    """Refuse options out of their documented bounds before anything is read or run."""
    if dask not in (None, "local"):
        _bad_option("--dask", "the only value is 'local'")
    for option, value, top in (("-n", replications, MAX_REPLICATIONS),
                               ("--max-replications", max_replications, MAX_REPLICATIONS),
                               ("--workers", workers, MAX_WORKERS), ("--seed", seed, MAX_SEED),
                               ("--precision", precision, math.inf),
                               ("--abs-precision", abs_precision, math.inf)):
        _check_bounded(option, value, top)
    if scheduler is not None:
        _check_scheduler(scheduler)
    if plot_format not in ("png", "svg", "pdf"):
        _bad_option("--plot-format", "choose png, svg or pdf")


def _resumed(ctx: typer.Context, folder: Path, given: RunOptions, replications: int,
             seed: int, out: Path) -> tuple[list[Scenario], int, int, RunOptions]:
    """The batch and options kept in ``folder``; refuses options given again that
    contradict them (or that define a batch, such as scenario files)."""
    from sim.runner.store import FolderError, ResumeError, check_writable, read_batch
    from sim.scenario.loading import ScenarioError

    try:
        stored = read_batch(folder, "run")
        check_writable(folder)
    except (ResumeError, ScenarioError, FolderError) as exc:
        _bad_option("--resume", str(exc))
    # Folders written before the options were kept hold none: the given ones then apply.
    kept = RunOptions.from_json(stored.options, given)
    batch = {"replications": stored.replications, "seed": stored.seed, "out": folder}
    given_batch = {"replications": replications, "seed": seed, "out": out}

    def on_command_line(name: str) -> bool:
        # By name: typer bundles its own copy of click, whose enum is not click's.
        source = ctx.get_parameter_source(name)
        return source is not None and source.name == "COMMANDLINE"

    def differs(name: str) -> bool:
        if name in batch:
            return given_batch[name] != batch[name]
        return getattr(given, name) != getattr(kept, name)

    def shown(name: str) -> str:
        return str(batch[name]) if name in batch else kept.shown(name)

    wrong = [flag for name, flag in BATCH_ONLY.items() if on_command_line(name)] + [
        f"{flag} (this batch: {shown(name)})" for name, flag in KEPT.items()
        if on_command_line(name) and differs(name)]
    if wrong:
        _bad_option("--resume", "the batch and its options are read from the folder; "
                    f"drop or correct: {', '.join(wrong)}")
    if not stored.options.get("command"):
        kept.command = given.command
    return stored.scenarios, stored.replications, stored.seed, kept


def _check_names(loaded: list[Scenario], files: list[Path] | None, options: RunOptions,
                 precision_metrics: list[str]) -> None:
    """--baseline names a scenario, the metrics exist, and no two scenarios' files collide."""
    from sim.output.results_folder import NameCollision, file_stems

    names = [s.name for s in loaded]
    if options.baseline is not None and options.baseline not in names:
        _bad_option("--baseline", f"'{options.baseline}' is not one of the scenarios: "
                    f"{', '.join(names)}")
    for option, metric in [("--select", options.select)] + [("--precision-metric", m)
                                                            for m in precision_metrics]:
        _check_metric(option, metric)
    try:
        file_stems(names)  # before simulating; checked again where the files are written
    except NameCollision as exc:
        clashing = [str(p) for p, s in zip(files or [], loaded, strict=False)
                    if s.name in exc.names]
        err_console.print(f"error: {', '.join(clashing) + ': ' if clashing else ''}name: {exc}",
                          markup=False)
        raise typer.Exit(2) from None


def _print_summary(summary: dict[str, Any]) -> None:
    """The tables of a run's summary, as ``run`` prints them (and ``show`` reprints them),
    fitted to the console's width: at 80 columns a wide table becomes two or three."""
    from sim.output.tables import selection_line, summary_tables

    for table in summary_tables(summary, out_console.width):  # all built before printing
        out_console.print(table, soft_wrap=False)  # titles and captions wrap to the table
    if "selection" in summary:
        out_console.print(selection_line(summary["selection"]), markup=False)
    if "horizons_note" in summary:
        out_console.print(f"note: {summary['horizons_note']}", markup=False)
    for name, entry in summary.get("stopping", {}).get("scenarios", {}).items():
        out_console.print(f"{name}: {entry['replications']} replications, "
                          f"{entry['stopped']}", markup=False)


@app.command(cls=_Command)
def show(
    results: Annotated[Path, typer.Argument(help="A results folder written by run.",
                                            show_default=False)],
) -> None:
    """Reprint the tables of a finished run from its summary.json, without re-running."""
    from sim.output.results_folder import ResultsFolderError, read_results_folder

    try:
        folder = read_results_folder(results)
    except ResultsFolderError as exc:
        _bad_option("RESULTS", str(exc))
    if not isinstance(folder.summary.get("scenarios"), dict) or not folder.summary["scenarios"]:
        _bad_option("RESULTS", f"{results}: not a results folder (its summary.json holds no "
                    "scenarios)")
    try:
        _print_summary(folder.summary)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        _bad_option("RESULTS", f"{results}: summary.json is not one this version of baiji-sim "
                    f"can read ({type(exc).__name__}: {exc}); re-run the batch")
    manifest = folder.manifest
    made = ", ".join(x for x in (
        f"seed {manifest.seed}" if manifest.seed is not None else "",
        manifest.date or "", manifest.status or "") if x)
    out_console.print(f"results in {results}/" + (f" ({made})" if made else ""), markup=False)


@app.command(cls=_Command)
def calibrate(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (one that tests "
                                             "the articles' observations).",
                                             show_default=False)],
    replications: Annotated[int, typer.Option(
        "-n", "--replications", min=2, help="Replications (per_draw of them a draw).")] = 4000,
    per_draw: Annotated[int, typer.Option(min=2, help="Replications that share a draw.")] = 4,
    shape: Annotated[str, typer.Option(
        help="uniform, or triangular (mode: the scenario's value).")] = "uniform",
    seed: Annotated[int, typer.Option(min=0, help="Batch seed.")] = 1,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes (default: all cores).", show_default=False)
    ] = None,
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results/calibration"),
    overrides: SetOption = [],  # noqa: B006
    plots: Annotated[bool, typer.Option(help="Write plots.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an earlier run in --out.")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Run on this Dask cluster (tcp://HOST:PORT).", show_default=False)] = None,
    dask: Annotated[str | None, typer.Option(
        help="'local': start a local Dask cluster of --workers processes.",
        show_default=False)] = None,
) -> None:
    """Weigh the scenario's uncertain parameters by the articles' dated observations.

    A run with --uncertainty whose draws are weighted by how often they reproduce every
    observation the scenario tests (docs/model.md, 5.4): prints the parameters the
    observations narrow most and the outcomes before and after; calibration.csv has them
    all, and OUT/calibrated.yaml is the calibrated scenario (run it with --uncertainty).
    A stopped calibration finishes with run --resume OUT.
    """
    from sim.model.observations import OBSERVATIONS, TESTED, status
    from sim.scenario.loading import ScenarioError, load_scenario

    try:
        spec = load_scenario(scenario, overrides)
    except ScenarioError as exc:
        _fail(exc)
    if not any(status(o, spec) == TESTED for o in OBSERVATIONS):
        _bad_option("SCENARIO", f"{scenario} tests none of the articles' dated observations "
                    "(its dates do not cover them): nothing to calibrate against; try "
                    "scenarios/campaign-2014-15.yaml")
    if spec.posterior is not None:
        _bad_option("SCENARIO", f"{scenario} is calibrated already (its posterior comes from "
                    f"{spec.posterior.source.folder}): weighing its draws by the same "
                    "observations again would count them twice; calibrate "
                    f"{spec.posterior.source.scenario}")
    if overrides:
        err_console.print("note: no calibrated.yaml with --set (a file extending the original "
                          "would not repeat the settings): put them in a scenario file that "
                          "extends it, and calibrate that", markup=False)
    run(ctx, [scenario], replications=replications, seed=seed, workers=workers, out=out,
        overrides=overrides, plots=plots, baseline=None, select="operating_days",
        minimize=False, precision=None, abs_precision=None, precision_metric=[],
        max_replications=20000, resume=None, scheduler=scheduler, dask=dask,
        plot_format="png", force=force, uncertainty=True, per_draw=per_draw, shape=shape,
        calibration=not overrides)


def _posterior_quantiles(spec: Scenario) -> dict[str, Any] | None:
    """A calibrated scenario's posterior: where it comes from and each parameter's weighted
    5/50/95% quantiles over its draws (None for a scenario without one)."""
    import numpy as np

    from sim.analysis.calibration import weighted_quantiles

    post = spec.posterior
    if post is None:
        return None
    table = np.asarray(post.draws, dtype=float)
    w = np.ones(len(table)) if post.weights is None else np.asarray(post.weights)
    return {"draws": len(table), "source": post.source.model_dump(mode="json"),
            "parameters": {p: weighted_quantiles(table[:, j], w, [0.05, 0.5, 0.95])
                           for j, p in enumerate(post.parameters)}}


def _print_posterior(posterior: dict[str, Any]) -> None:
    source = posterior["source"]
    out_console.print(
        f"posterior: {posterior['draws']} weighted draws of {len(posterior['parameters'])} "
        f"parameters from {source['folder']} (calibrate {source['scenario']}, seed "
        f"{source['seed']}, {source['replications']} replications, ESS {source['ess']:g}; "
        f"observations of {', '.join(sorted(set(source['observations'].values())))}); run "
        "--uncertainty draws from it, a plain run uses the values below", markup=False)
    for path, (low, mid, high) in posterior["parameters"].items():
        out_console.print(f"  {path}: {mid:.4g} [{low:.4g}, {high:.4g}]", markup=False)


@app.command(cls=_Command)
def trace(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    seed: Annotated[int, typer.Option(min=0, help="Replication seed (the 'seed' column of "
                                      "replications.csv).")] = 1,
    overrides: SetOption = [],  # noqa: B006
) -> None:
    """Print one replication as a dated event log."""
    from sim.model.replication import run_replication
    from sim.scenario.loading import ScenarioError, load_scenario

    _check_bounded("--seed", seed, MAX_SEED)
    try:
        spec = load_scenario(scenario, overrides)
    except ScenarioError as exc:
        _fail(exc)
    result = run_replication(spec, seed, trace=True)
    out_console.print(f"{spec.name}, seed {seed}, from {spec.start_date} for "
                      f"{spec.horizon_days} days", markup=False)
    for entry in result.trace or []:
        date = spec.start_date.toordinal() + math.floor(entry.time)
        day = type(spec.start_date).fromordinal(date)
        out_console.print(f"{day}  day {entry.time:7.2f}  {entry.kind:<11} {entry.text}",
                          markup=False)
    out_console.print("outcome: " + ", ".join(
        f"{k}={'' if isinstance(v, float) and math.isnan(v) else round(v, 3)}"
        for k, v in result.metrics.items()), markup=False)


def _source_lines(row: ParameterRow) -> list[str]:
    off = [f"inactive: {row.inactive}"] if row.inactive else []
    if row.kind == "missing":  # no key covers it, or it was set without a source
        return [row.source or "NO PROVENANCE", *off]
    if row.kind == "fact":
        return [f"fact {row.cited}", *off]
    lines = [f"assumption: {row.source}" + (
        f" (plausible range {row.range[0]:g} to {row.range[1]:g})" if row.range else "")]
    if row.basis:
        lines.append(f"basis {row.cited}")
    return lines + off


def _count(n: int, noun: str) -> str:
    """``1 parameter``, ``3 parameters``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _value_text(row: ParameterRow | None) -> str:
    if row is None:
        return "(absent)"
    if row.value is None:
        return "null"
    unit = "" if row.unit in ("-", "side", "area", "areas", "areas in order", "date") else (
        f" {row.unit}")
    return f"{row.value}{unit}"


def _print_levers_and_uncertainties(levers: Sequence[Lever],
                                    unknowns: Mapping[str, tuple[float, float]]) -> None:
    """What a decision-maker controls, then what we do not know: kept apart (levers are
    never drawn by --uncertainty)."""
    if levers:
        out_console.print(f"\n[bold]levers[/bold] ({_count(len(levers), 'parameter')} a "
                          "decision-maker controls; effort in points)")
    for lv in levers:
        free = "low" if lv.free_end == lv.low else "high"
        points = f"{lv.effort_per_unit:g} point{'' if lv.effort_per_unit == 1 else 's'}"
        out_console.print(f"  {lv.label} = {lv.value:g} {lv.unit}\n      {lv.path}\n"
                          f"      choose {lv.low:g} to {lv.high:g}; {points} per unit from the "
                          f"{free} end", markup=False)
    if unknowns:
        out_console.print(f"\n[bold]uncertainties[/bold] ({_count(len(unknowns), 'assumption')} "
                          "with a range, drawn by run --uncertainty)")
    for path, (lo, hi) in unknowns.items():
        out_console.print(f"  {path}: {lo:g} to {hi:g}", markup=False)


@app.command(cls=_Command)
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    diff: Annotated[Path | None, typer.Option(help="Show only what differs from this one.",
                                              show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    overrides: SetOption = [],  # noqa: B006
) -> None:
    """Show every resolved parameter with its value, unit and provenance."""
    from sim.scenario.levers import scenario_levers
    from sim.scenario.loading import ScenarioError, load_scenario
    from sim.scenario.provenance import diff_rows, explain_rows, find_seeds_dir, load_facts
    from sim.scenario.uncertainty import uncertain_parameters

    try:
        spec = load_scenario(scenario, overrides)
        other = load_scenario(diff, overrides) if diff is not None else None
    except ScenarioError as exc:
        _fail(exc)
    facts = load_facts(find_seeds_dir(scenario.parent))
    if other is None:
        rows = explain_rows(spec, facts)
        levers = scenario_levers(spec)
        unknowns = uncertain_parameters(spec)
        posterior = _posterior_quantiles(spec)
        if as_json:
            out_console.print_json(data={"scenario": spec.name, "description": spec.description,
                                         "inactive": spec.inactive_reasons,
                                         "levers": [asdict(lv) for lv in levers],
                                         "uncertainties": {p: list(r)
                                                           for p, r in unknowns.items()},
                                         "parameters": [r.to_dict() for r in rows],
                                         **({"posterior": posterior} if posterior else {})})
            return
        out_console.print(f"{spec.name}: {' '.join(spec.description.split())}", markup=False)
        for key, reason in spec.inactive_reasons.items():
            out_console.print(f"inactive: {key}: {reason}", markup=False)
        _print_levers_and_uncertainties(levers, unknowns)
        if posterior:
            _print_posterior(posterior)
        section = None
        for row in rows:
            head = row.path.split(".")[0] if "." in row.path else "scenario"
            if head != section:
                section = head
                out_console.print(f"\n[bold]{head}[/bold]")
            out_console.print(f"  {row.path} = {_value_text(row)}", markup=False)
            for line in _source_lines(row):
                out_console.print(f"      {line}", markup=False)
        return
    changes = diff_rows(spec, other, facts)
    off_a, off_b = spec.inactive_reasons, other.inactive_reasons
    if as_json:
        out_console.print_json(data={"a": spec.name, "b": other.name, "differences": [
            {"path": p, "a": x.to_dict() if x else None, "b": y.to_dict() if y else None}
            for p, x, y in changes], "inactive": {"a": off_a, "b": off_b}})
        return
    out_console.print(f"{_count(len(changes), 'parameter')} "
                      f"differ{'s' if len(changes) == 1 else ''} between {spec.name} and "
                      f"{other.name}", markup=False)
    for name, mine, theirs in ((spec.name, off_a, off_b), (other.name, off_b, off_a)):
        for key in [k for k in mine if k not in theirs]:
            out_console.print(f"  inactive only in {name}: {key}: {mine[key]}", markup=False)
    for path, x, y in changes:
        out_console.print(f"\n  {path}: {_value_text(x)} -> {_value_text(y)}", markup=False)
        for name, side in ((spec.name, x), (other.name, y)):
            if side is not None:
                out_console.print(f"      {name}: {'; '.join(_source_lines(side))}",
                                  markup=False)


@contextmanager
def _advancing(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal, and the callback that moves it on by k replications."""
    with _progress_bar(total) as progress:
        task = progress.add_task(label, total=total)
        yield lambda k: progress.advance(task, k)


def _progress_bar(total: int) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True,
                    disable=not err_console.is_terminal)


SWEEP_SHOWN = ("operating_days", "garrison_held", "helicopters_lost")  # sweep's default --metric


@app.command(cls=_Command)
def sweep(
    ctx: typer.Context,
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML file (none with --resume).", show_default=False)] = None,
    param: Annotated[list[str], typer.Option(
        help="Parameter to vary, path.to.key (once or twice).", show_default=False)
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    values: Annotated[list[str], typer.Option(
        help="Its values: 0,0.01,0.02 or start:stop:count (once per --param).",
        show_default=False)] = [],  # noqa: B006
    replications: Annotated[int, typer.Option("-n", "--replications", min=2,
                                              help="Replications per point.")] = 200,
    seed: Annotated[int, typer.Option(min=0, help="Batch seed (same at every point).")] = 1,
    workers: Annotated[int | None, typer.Option(min=1, show_default=False,
                                                help="Local worker processes.")] = None,
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results/sweep"),
    threshold: Annotated[str | None, typer.Option(
        help="metric=level: where the outcome's mean crosses the level, e.g. "
        "garrison_held=0.5.", show_default=False)] = None,
    overrides: SetOption = [],  # noqa: B006
    resume: Annotated[Path | None, typer.Option(
        help="Finish the interrupted sweep in this folder.", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an earlier sweep, finished or not, in --out.")] = False,
    metrics: Annotated[list[str] | None, typer.Option(
        "--metric", help="Outcome to print (repeatable); sweep.csv has them all.",
        show_default=", ".join(SWEEP_SHOWN))] = None,
) -> None:
    """Run the scenario over a grid of one or two parameters (common random numbers).

    The points stream to --out as they finish; if the sweep is stopped, --resume OUT
    finishes it. An earlier sweep in --out is replaced only with --force.
    """
    from sim.analysis.sweep import SWEEP_METRICS, resume_sweep, run_sweep
    from sim.output.sweep_files import write_sweep
    from sim.runner.pool import default_workers
    from sim.runner.store import finish
    from sim.scenario.loading import load_scenario

    workers = workers or default_workers()
    _check_bounded("--workers", workers, MAX_WORKERS)
    chosen = list(dict.fromkeys(metrics or SWEEP_SHOWN))
    for name in chosen:
        _check_metric("--metric", name, SWEEP_METRICS, "a sweep metric")
    level: tuple[str, float] | None = None
    summary: dict[str, Any] = {}
    out = resume or out
    with _experiment_errors("sweep", out, resume):
        if resume is not None:
            _resume_only(ctx, "sweep", force, ("scenario", "param", "values", "replications",
                                                "seed", "out", "threshold", "overrides"))
            total = _stored_total(resume, "sweep")
            with _advancing(total, "sweep") as advance:
                result, kept = resume_sweep(resume, workers, advance)
            level = _threshold(kept.get("threshold"))
        else:
            grid, level = _sweep_design(scenario, param, values, replications, seed, threshold)
            total = replications * math.prod(len(v) for _, v in grid)
            assert scenario is not None  # _sweep_design refuses a sweep without one
            with _advancing(total, "sweep") as advance:
                result = run_sweep(load_scenario(scenario, overrides), grid, replications,
                                   seed=seed, workers=workers, path=scenario,
                                   progress=advance, out=out, force=force,
                                   options={"threshold": threshold})
        try:
            if not result.batch.interrupted:
                summary = write_sweep(result, out, threshold=level)
                finish(out)
        except ValueError as exc:
            _bad_option("--threshold", str(exc))
    if result.batch.interrupted:
        done = sum(len(r.seed) for r in result.batch.runs)
        err_console.print(f"interrupted: kept {done} of {total} replications in {out}/; "
                          f"finish with: baiji-sim sweep --resume {out}", markup=False)
        raise typer.Exit(130)
    _print_sweep(result, chosen, level, summary, out)


@contextmanager
def _experiment_errors(command: str, out: Path, resume: Path | None) -> Iterator[None]:
    """What a sweep or a sensitivity analysis ends with when it cannot finish: one line and
    the documented exit code; a stop (Ctrl-C, a kill) keeps its finished points."""
    from sim.runner.store import PARTS, FolderError, ResumeError, WriteError
    from sim.scenario.loading import ScenarioError

    signal.signal(signal.SIGTERM, _interrupt)  # a kill stops it like Ctrl-C
    try:
        yield
    except typer.Exit:  # already said (click's Exit is a RuntimeError)
        raise
    except ScenarioError as exc:
        _fail(exc)
    except (FolderError, ResumeError) as exc:
        _bad_option("--out" if resume is None else "--resume", str(exc))
    except WriteError as exc:
        _write_failed(exc, f"the finished points are kept in {out}/{PARTS}/: free some "
                      f"space, then finish with: baiji-sim {command} --resume {out}")
    except ValueError as exc:
        _bad_option({"sweep": "--param/--values", "discover": "SCENARIO"}.get(
            command, "--metric/--method/--range"), str(exc))
    except RuntimeError as exc:  # replications failed
        err_console.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print(f"interrupted: the finished points are kept in {out}/; "
                          f"finish with: baiji-sim {command} --resume {out}", markup=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _resume_only(ctx: typer.Context, command: str, force: bool, defining: tuple[str, ...]
                 ) -> None:
    """With --resume, the batch and its definition come from the folder: refuse both
    --force and any option that would define another one."""
    if force:
        _bad_option("--force", f"--resume finishes the {command} in the folder and --force "
                    "starts a new one over it: give one of them")
    given = [name for name in defining if (source := ctx.get_parameter_source(name))
             is not None and source.name == "COMMANDLINE"]
    if given:
        shown = ", ".join("SCENARIO" if n == "scenario" else "--set" if n == "overrides"
                          else "-n" if n == "replications" else f"--{n.replace('_', '-')}"
                          for n in given)
        _bad_option("--resume", f"the {command} and its options are read from the folder; "
                    f"drop: {shown}")


def _stored_total(folder: Path, kind: str) -> int:
    """Replications in the unfinished batch of ``kind`` in ``folder`` (for the progress bar)."""
    from sim.runner.store import ResumeError, read_batch
    from sim.scenario.loading import ScenarioError

    try:
        stored = read_batch(folder, kind)
    except (ResumeError, ScenarioError) as exc:
        _bad_option("--resume", str(exc))
    return stored.replications * len(stored.scenario_names)


def _threshold(text: str | None) -> tuple[str, float] | None:
    """--threshold metric=level, parsed."""
    from sim.analysis.sweep import SWEEP_METRICS

    if text is None:
        return None
    metric, _, level = text.partition("=")
    try:
        parsed = metric.strip(), float(level)
    except ValueError:
        _bad_option("--threshold", "write it as metric=level, e.g. garrison_held=0.5")
    _check_metric("--threshold", parsed[0], SWEEP_METRICS, "a sweep metric")
    return parsed


def _sweep_design(scenario: Path | None, param: list[str], values: list[str],
                  replications: int, seed: int, threshold: str | None
                  ) -> tuple[list[tuple[str, list[float]]], tuple[str, float] | None]:
    """The grid of a new sweep and its threshold, checked against the documented bounds."""
    from sim.analysis.sweep import parse_values

    if scenario is None:
        _bad_option("SCENARIO", "give a scenario file (or --resume OUT)")
    if len(param) != len(values) or not 1 <= len(param) <= 2:
        _bad_option("--param/--values", "give one or two --param, each with its --values")
    for option, value, top in (("-n", replications, MAX_REPLICATIONS),
                               ("--seed", seed, MAX_SEED)):
        _check_bounded(option, value, top)
    for spec in values:  # start:stop:count: the count, before numpy makes the values
        count = spec.split(":")[-1].strip() if spec.count(":") == 2 else ""
        if count.isascii() and count.isdigit() and (len(count) > 6 or
                                                    int(count) > MAX_SWEEP_POINTS):
            _bad_option("--values", f"'{spec}': at most {MAX_SWEEP_POINTS} values")
        if spec.count(",") >= MAX_SWEEP_POINTS:
            _bad_option("--values", f"at most {MAX_SWEEP_POINTS} values")
    try:
        grid = [(p, parse_values(v)) for p, v in zip(param, values, strict=True)]
    except ValueError as exc:
        _bad_option("--values", str(exc))
    return grid, _threshold(threshold)


def _print_sweep(result: Any, chosen: list[str], level: tuple[str, float] | None,
                 summary: dict[str, Any], out: Path) -> None:
    from rich.table import Table

    from sim.analysis.sweep import threshold_summary, threshold_text
    from sim.output.tables import ci

    param = result.params
    by_point: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for r in result.table():
        by_point.setdefault(tuple(r[p] for p in param), {})[r["metric"]] = r
    rows = [point[name] for point in by_point.values() for name in chosen]
    table = Table(title=f"Sweep of {', '.join(param)} ({result.replications} replications a "
                  "point, mean [95% CI])", title_justify="left")
    for head in [*param, "metric", "mean [95% CI]"]:
        table.add_column(head)
    for r in rows:
        table.add_row(*(str(r[p]) for p in param), r["metric"],
                      ci({"mean": r["mean"], "ci95": [r["ci_low"], r["ci_high"]]}, 3)
                      + (" *" if r.get("ci_clipped") else ""))
    out_console.print(table)
    if any(r.get("ci_clipped") for r in rows):
        out_console.print("* interval clipped at the metric's bounds (a count or amount "
                          "cannot be negative; ci_clipped in sweep.csv)", markup=False)
    if level is not None:
        out_console.print(f"threshold: {threshold_text(threshold_summary(result, *level))}",
                          markup=False)
    out_console.print(f"results in {out}/ ({', '.join(sorted(summary.get('files', [])))})",
                      markup=False)


@app.command(cls=_Command)
def sensitivity(
    ctx: typer.Context,
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML file (none with --resume).", show_default=False)] = None,
    metric: Annotated[str, typer.Option(help="The outcome to explain.")] = "garrison_held",
    method: Annotated[str, typer.Option(help="morris (screening) or sobol.")] = "morris",
    trajectories: Annotated[int, typer.Option(min=2, help="Morris trajectories.")] = 10,
    sobol_n: Annotated[int, typer.Option(min=2, help="Sobol base sample (power of 2).")] = 64,
    replications: Annotated[int, typer.Option(
        "-n", "--replications", min=1, help="Replications per design point.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Batch seed (same at every point).")] = 1,
    design_seed: Annotated[int, typer.Option(min=0, help="Seed of the design.")] = 1,
    workers: Annotated[int | None, typer.Option(min=1, show_default=False,
                                                help="Local worker processes.")] = None,
    ranges: Annotated[list[str], typer.Option(
        "--range", help="path=lo:hi, adds or replaces a parameter's range (repeatable).")
    ] = [],  # noqa: B006
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results/sensitivity"),
    top: Annotated[int, typer.Option(min=1, help="Rows to print.")] = 15,
    overrides: SetOption = [],  # noqa: B006
    resume: Annotated[Path | None, typer.Option(
        help="Finish the interrupted analysis in this folder.", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an earlier analysis, finished or not, in --out.")] = False,
) -> None:
    """Rank the uncertain parameters by their effect on an outcome (SALib).

    The design points stream to --out as they finish; if the analysis is stopped,
    --resume OUT finishes it. An earlier analysis in --out is replaced only with --force.
    """
    from rich.table import Table

    from sim.analysis.sensitivity import (
        parse_range,
        ranked_rows,
        resolution_mark,
        resolution_text,
        resume_sensitivity,
        run_sensitivity,
        skipped_text,
    )
    from sim.output.sensitivity_files import write_sensitivity
    from sim.runner.pool import default_workers
    from sim.runner.store import finish
    from sim.scenario.loading import load_scenario

    for option, value, top in (("-n", replications, MAX_REPLICATIONS),
                               ("--trajectories", trajectories, MAX_DESIGN),
                               ("--sobol-n", sobol_n, MAX_DESIGN),
                               ("--workers", workers, MAX_WORKERS), ("--seed", seed, MAX_SEED),
                               ("--design-seed", design_seed, MAX_SEED)):
        _check_bounded(option, value, top)
    try:
        explicit = dict(parse_range(r) for r in ranges)
    except ValueError as exc:
        _bad_option("--range", str(exc))
    if resume is not None:
        _resume_only(ctx, "sensitivity", force, (
            "scenario", "metric", "method", "trajectories", "sobol_n", "replications", "seed",
            "design_seed", "ranges", "out", "overrides"))
        out = resume
    elif scenario is None:
        _bad_option("SCENARIO", "give a scenario file (or --resume OUT)")
    with _experiment_errors("sensitivity", out, resume), _progress_bar(0) as progress:
        task = progress.add_task("sensitivity", total=None)

        def advance(k: int, total: int) -> None:
            progress.update(task, total=total, advance=k)

        if resume is not None:
            result = resume_sensitivity(resume, workers or default_workers(), advance)
        else:
            assert scenario is not None
            result = run_sensitivity(
                load_scenario(scenario, overrides), metric, method, path=scenario,
                trajectories=trajectories, sobol_n=sobol_n, replications=replications,
                seed=seed, design_seed=design_seed, workers=workers or default_workers(),
                ranges=explicit, progress=advance, out=out, force=force)
        write_sensitivity(result, out)
        finish(out)
    rows = ranked_rows(result)
    index_columns = [c for c in ("mu_star", "mu_star_conf", "sigma", "ST", "ST_conf", "S1")
                     if rows and c in rows[0]]
    table = Table(title=f"What drives {result.metric} ({result.method}, {result.model_runs} "
                  "model runs = "
                  f"{result.points} points x {result.replications} replications)",
                  title_justify="left")
    for head in ["rank", "parameter", "range", *index_columns, "resolved"]:
        table.add_column(head, justify="left" if head in ("parameter", "resolved") else "right")
    for r in rows[:top]:
        table.add_row(str(r["rank"]), r["parameter"], f"{r['low']:g} to {r['high']:g}",
                      *(f"{r[c]:.4g}" for c in index_columns),
                      resolution_mark(r))
    out_console.print(table)
    if note := resolution_text(result):
        out_console.print(f"{note} (≈0: interval reaches 0; ≈#k: overlaps rank k)",
                          markup=False)
    if result.skipped:
        out_console.print(skipped_text(result), markup=False)
    out_console.print(f"results in {out}/ (sensitivity.csv, sensitivity.json, sensitivity.png)",
                      markup=False)


MAX_DISCOVERY_POINTS = 100_000  # design points of a discovery


@app.command(cls=_Command)
def discover(
    ctx: typer.Context,
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario YAML file with levers (none with --resume).", show_default=False)] = None,
    goal: Annotated[str | None, typer.Option(
        help='What "it works" means: METRIC OP LEVEL, e.g. "refinery_ran >= 0.5" or '
        '"first_operating_day by 180".', show_default=False)] = None,
    replications: Annotated[int, typer.Option(
        "-n", "--replications", min=1, help="Replications per design point.")] = 20,
    points: Annotated[int, typer.Option(min=8, help="Design points (Latin hypercube).")] = 128,
    seed: Annotated[int, typer.Option(min=0, help="Batch seed (same at every point).")] = 1,
    design_seed: Annotated[int, typer.Option(min=0, help="Seed of the design.")] = 1,
    probability: Annotated[float, typer.Option(
        help="Event goals: the share of runs that must meet it.")] = 0.5,
    levers_only: Annotated[bool, typer.Option(
        "--levers-only", help="Vary the levers only; the unknowns keep the scenario's "
        "values.")] = False,
    density: Annotated[float, typer.Option(
        help="The density a PRIM box must reach to be preferred for its coverage.")] = 0.8,
    cheapest: Annotated[bool, typer.Option(
        "--cheapest", help="Confirm the cheapest settings that met the goal (new paired "
        "runs, one-sided tests, Holm).")] = False,
    candidates: Annotated[int, typer.Option(min=1, help="--cheapest: settings confirmed.")] = 8,
    confirm: Annotated[int, typer.Option(
        min=4, help="--cheapest: new replications per candidate.")] = 200,
    workers: Annotated[int | None, typer.Option(min=1, show_default=False,
                                                help="Local worker processes.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Run on this Dask cluster (tcp://HOST:PORT).", show_default=False)] = None,
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results/discovery"),
    overrides: SetOption = [],  # noqa: B006
    resume: Annotated[Path | None, typer.Option(
        help="Finish the interrupted discovery in this folder.", show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an earlier discovery, finished or not, in --out.")] = False,
) -> None:
    """What would it take? The lever (and unknown) values where a goal is met (PRIM, CART).

    A Latin hypercube over the scenario's levers and uncertain parameters, each point a
    batch under common random numbers; --cheapest confirms the least effort that works.
    The points stream to --out; if stopped, --resume OUT finishes it.
    """
    from sim.analysis.discovery import (
        resume_discovery,
        run_discovery,
        summary_sentences,
    )
    from sim.analysis.discovery_goal import parse_goal
    from sim.analysis.discovery_rules import MissingExtra, check_extra
    from sim.output.discovery_files import write_discovery
    from sim.runner.cluster import ClusterError, engine
    from sim.runner.pool import default_workers
    from sim.runner.store import finish
    from sim.scenario.loading import load_scenario

    if scheduler is not None:
        _check_scheduler(scheduler)
    for option, value, top in (("-n", replications, MAX_REPLICATIONS),
                               ("--points", points, MAX_DISCOVERY_POINTS),
                               ("--confirm", confirm, MAX_REPLICATIONS),
                               ("--candidates", candidates, MAX_DISCOVERY_POINTS),
                               ("--workers", workers, MAX_WORKERS), ("--seed", seed, MAX_SEED),
                               ("--design-seed", design_seed, MAX_SEED)):
        _check_bounded(option, value, top)
    if not 0.0 < density <= 1.0:
        _bad_option("--density", f"{density:g}: give a share in (0, 1]")
    try:
        check_extra()
    except MissingExtra as exc:
        _bad_option("discover", str(exc))
    if resume is not None:
        _resume_only(ctx, "discover", force, (
            "scenario", "goal", "replications", "points", "seed", "design_seed", "probability",
            "levers_only", "density", "cheapest", "candidates", "confirm", "out", "overrides"))
        out = resume
    else:
        if scenario is None:
            _bad_option("SCENARIO", "give a scenario file (or --resume OUT)")
        if goal is None:
            _bad_option("--goal", 'give the goal, e.g. --goal "refinery_ran >= 0.5"')
        try:
            parsed = parse_goal(goal, probability)
        except ValueError as exc:
            _bad_option("--goal", str(exc))
    total = (_stored_total(resume, "discovery") if resume is not None
             else points * replications) + (candidates * confirm if cheapest else 0)
    workers = workers or default_workers()
    with _experiment_errors("discover", out, resume), _advancing(total, "discover") as advance:
        try:
            with engine(scheduler, False, workers) as executor:
                if resume is not None:
                    result = resume_discovery(resume, workers, advance, executor)
                else:
                    assert scenario is not None
                    result = run_discovery(
                        load_scenario(scenario, overrides), parsed, points=points,
                        replications=replications, seed=seed, design_seed=design_seed,
                        levers_only=levers_only, density=density, cheapest=cheapest,
                        candidates=candidates, confirm=confirm, workers=workers,
                        path=scenario, progress=advance, out=out, force=force,
                        executor=executor)
        except ClusterError as exc:
            _bad_option("--scheduler", str(exc))
        summary = write_discovery(result, out)
        finish(out)
    _print_discovery(result, summary_sentences(result), summary, out)


def _print_discovery(result: Any, sentences: list[str], summary: dict[str, Any],
                     out: Path) -> None:
    from rich.table import Table

    boxes = result.rules.prim
    if boxes:
        table = Table(title=f"PRIM boxes where {result.goal.words()} ({len(result.outcomes)} "
                      f"points x {result.replications} replications)", title_justify="left")
        for head in ("box", "limit", "kind", "quasi-p", "coverage", "density", "points"):
            table.add_column(head, justify="left" if head in ("limit", "kind") else "right")
        for k, box in enumerate(boxes):
            for j, r in enumerate(box.restrictions):
                qp = " / ".join(f"{q:.2g}" for q in (r.qp_low, r.qp_high) if q is not None)
                table.add_row(str(k + 1) if j == 0 else "", r.words(), r.kind, qp or "–",
                              f"{box.coverage:.0%}" if j == 0 else "",
                              f"{box.density:.0%}" if j == 0 else "",
                              str(box.points) if j == 0 else "")
        out_console.print(table)
    s = result.selection
    if s is not None and s.candidates:
        table = Table(title=f"The smallest effort that works: {len(s.candidates)} candidates, "
                      f"{s.replications} new runs each ({s.test} test, Holm)",
                      title_justify="left")
        for head in ("candidate", "effort", "in the design", "confirmed [95% CI]", "Holm p",
                     "meets the goal"):
            table.add_column(head, justify="right")
        for k, c in enumerate(s.candidates):
            table.add_row(str(k), f"{c.effort:.3g}", f"{c.screened:.3g}",
                          f"{c.outcome:.3g} [{c.low:.3g}, {c.high:.3g}]", f"{c.p_holm:.2g}",
                          "cheapest" if k == s.chosen else "yes" if c.meets else "no")
        out_console.print(table)
    for line in sentences:
        out_console.print(line, markup=False)
    out_console.print(f"results in {out}/ ({', '.join(summary.get('files', []))}); the report: "
                      f"baiji-sim report {out}", markup=False)


@app.command(cls=_Command)
def plot(
    results: Annotated[Path, typer.Argument(help="A results folder written by run.",
                                            show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="png, svg or pdf.")] = "png",
    out: Annotated[Path | None, typer.Option(help="Where to write (default: RESULTS/plots).",
                                             show_default=False)] = None,
) -> None:
    """Redraw every figure of a results folder, without re-running."""
    from sim.output.plots import FORMATS, write_plots
    from sim.output.results_folder import ResultsFolderError
    from sim.runner.store import WriteError

    if fmt not in FORMATS:
        _bad_option("--format", f"choose {', '.join(FORMATS)}")
    if out is not None and out.exists() and not out.is_dir():
        _bad_option("--out", f"{out} is a file, not a folder")
    try:
        written = write_plots(results, fmt, out)
    except ResultsFolderError as exc:
        _bad_option("RESULTS", str(exc))
    except OSError as exc:
        _write_failed(WriteError(exc, exc.filename or out or results / "plots"),
                      "the figures are incomplete")
    for path in written:
        out_console.print(str(path), markup=False)


@app.command(cls=_Command)
def report(
    results: Annotated[Path, typer.Argument(help="A results folder written by run.",
                                            show_default=False)],
    out: Annotated[Path | None, typer.Option(
        help="The HTML file (default: RESULTS/report.html).", show_default=False)] = None,
) -> None:
    """Write one self-contained HTML report of a results folder (images embedded)."""
    from sim.output.report import write_report
    from sim.output.results_folder import ResultsFolderError
    from sim.runner.store import WriteError

    if out is not None and out.is_dir():
        _bad_option("--out", f"{out} is a folder: give the path of the HTML file")
    try:
        path = write_report(results, out)
    except ResultsFolderError as exc:
        _bad_option("RESULTS", str(exc))
    except OSError as exc:
        _write_failed(WriteError(exc, exc.filename or out or results / "report.html"),
                      "no report was written")
    out_console.print(str(path), markup=False)


MAX_WARNINGS = 20  # per scenario: explain shows them all


@app.command(cls=_Command)
def validate(scenarios: ScenarioFiles) -> None:
    """Check scenario files without running them.

    Warns (on stderr; the exit code stays 0) about each value set without a source.
    """
    from sim.scenario.loading import ScenarioError, load_scenario, one_line

    for path in scenarios:
        try:
            spec = load_scenario(path)
        except ScenarioError as exc:
            _fail(exc)
        out_console.print(f"ok  {path}  ({spec.name})", markup=False)
        unsourced = [(k, e.set_in) for k, e in spec.provenance.items() if e.set_in is not None]
        for key, where in unsourced[:MAX_WARNINGS]:
            err_console.print(f"warning: {one_line(str(where))}: {one_line(key)}: set without a "
                              "source; add a provenance entry for it (a fact or an "
                              "assumption)", markup=False)
        if len(unsourced) > MAX_WARNINGS:
            err_console.print(f"warning: {path}: {len(unsourced) - MAX_WARNINGS} more values "
                              f"set without a source: see baiji-sim explain {path}",
                              markup=False)


@app.command(cls=_Command)
def explore(
    scenarios: Annotated[list[Path] | None, typer.Argument(
        help="Scenario YAML files to offer (default: scenarios/*.yaml).",
        show_default=False)] = None,
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="Port to listen on (0: any free one).")] = 8765,
    host: Annotated[str, typer.Option(
        help="Address to listen on. Anything but 127.0.0.1 lets other machines use the "
        "explorer (and run batches on this one): it warns.")] = "127.0.0.1",
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes (default: all cores).", show_default=False)] = None,
) -> None:
    """Open the classroom explorer, a local web page (Ctrl-C stops it).

    Pick a scenario, move its levers, run a batch, compare with the previous run and watch
    one replication.

    Needs the optional web server: pip install 'baiji-sim\\[explore]'.
    """
    try:
        from sim.explorer.app import LOOPBACK, listen, serve
    except ImportError as exc:
        _bad_option("explore", f"needs the optional web server, which is not installed "
                    f"({exc.name} is missing): pip install 'baiji-sim[explore]'")
    from contextlib import suppress

    from sim.explorer.catalogue import Catalogue
    from sim.scenario.loading import ScenarioError

    if workers is not None and workers > MAX_WORKERS:
        _check_bounded("--workers", workers, MAX_WORKERS)
    files = scenarios or sorted(Path("scenarios").glob("*.yaml"))
    if not files:
        _bad_option("SCENARIO", "give scenario files (there is no scenarios/*.yaml here)")
    try:
        catalogue = Catalogue(files)
    except ScenarioError as exc:
        _fail(exc)
    if host not in LOOPBACK:
        err_console.print(f"warning: --host {host}: the explorer has no password; anyone who "
                          "can reach this machine can open it and run batches on it",
                          markup=False)
    try:
        sock = listen(host, port)
    except OSError as exc:
        _bad_option("--port" if exc.errno == 98 else "--host",
                    f"cannot listen on {host}:{port}: {exc.strerror or exc}")

    def announce(url: str) -> None:
        out_console.print(f"baiji-sim explorer: {url}  (open it in a browser; Ctrl-C stops it)",
                          markup=False)
        if host in ("0.0.0.0", "::"):  # every address of this machine: say which to open
            out_console.print("  on this machine open " + url.replace(f"//{host}", "//127.0.0.1")
                              .replace("//[::]", "//[::1]") + "; from another, this "
                              "machine's address in place of 127.0.0.1", markup=False)
        sys.stdout.flush()

    with suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down cleanly
        serve(catalogue, sock, workers, announce)
    err_console.print("explorer stopped", markup=False)


def main() -> None:
    app()
