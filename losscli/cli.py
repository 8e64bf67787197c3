"""The ``losscli`` command line: parse options, call, render, exit code. No maths here.

Where results and messages go is :mod:`losscli.output`. Only typer and losscli's light modules
(errors, output, report, results) load at start-up; numpy, pandas, pyarrow and rich load inside the
command that needs them, so ``losscli --help`` stays fast.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from . import __version__, output, tracking
from .cli_options import (
    BASELINE,
    BOOTSTRAP,
    CONFIG,
    DECIMAL,
    DELIMITER,
    DROPNA,
    EXPLAIN,
    FORMAT,
    JUNIT,
    LABELS,
    LOG_TO,
    LOSS,
    MAX,
    NO_CONFIG,
    ON,
    OUTPUT,
    PARAM,
    PLUGIN,
    POSITIVE,
    PRED,
    PREDICTIONS,
    QUANTILES,
    QUIET,
    SEED,
    TASK,
    TOLERANCE,
    TRUE,
    VERBOSE,
    WARN,
    WEIGHT,
)
from .errors import DataError, ExitCode, LossCliError, UsageError, closest
from .output import emit_history, finish, quiet_stdout, say, stdout_console
from .report import FORMATS

if TYPE_CHECKING:
    from .reading import StartedRead

app = typer.Typer(
    name="losscli",
    help="Every loss that applies to a predictions file: regression, binary, multiclass, multilabel.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)



class ConfigParams:
    """The --param values a command took from a config file (set once it is read): an error about one
    names the file (a broken config file, exit 3), not a --param flag the command line does not hold."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.names: set[str] = set()  # "loss.key", the loss by its canonical name

    def take(self, settings: Any, flags: list[str]) -> None:
        """The config file's values that the flags leave standing (a loss it names that no plugin
        registers is refused here, naming the file)."""
        from . import registry
        from .options import parse_param_flags

        self.path = settings.path
        for name in settings.params:
            try:
                registry.resolve(name)
            except LossCliError as error:
                raise DataError(f"config {self.path}: params: {error}") from None

        def named(layer: dict[str, dict[str, Any]]) -> set[str]:
            try:
                return {f"{loss}.{key}" for name, values in layer.items() for loss in registry.resolve(name)
                        for key in values}
            except LossCliError:  # (a flag's unknown loss: said where the parameters are typed)
                return set()

        self.names = named(settings.params) - named(parse_param_flags(flags))

    def said(self, error: LossCliError) -> LossCliError:
        found = re.match(r"--param (\w+\.\w+)", str(error))
        if found is None or found[1] not in self.names:
            return error
        return DataError(f"config {self.path}: params: {str(error).removeprefix('--param ')}")


@contextmanager
def handled() -> Iterator[ConfigParams]:
    """The one place that turns exceptions into messages and exit codes (and where a command's
    --quiet ends); a parameter error names the config file the value came from (:class:`ConfigParams`)."""
    config = ConfigParams()
    try:
        yield config
    except LossCliError as error:
        error = config.said(error)
        say(str(error), "red")
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        quiet_stdout()
        raise typer.Exit(ExitCode.OK) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as error:  # a bug: apologise, hide the traceback unless asked
        if os.environ.get("LOSSCLI_DEBUG"):
            raise
        say(f"sorry, this is a bug in losscli ({type(error).__name__}: {error}). "
                "Run again with LOSSCLI_DEBUG=1 to see the traceback, and please report it.", "red")
        raise typer.Exit(ExitCode.BUG) from None
    finally:
        output.Verbosity.quiet = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"losscli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Every loss that applies to a predictions file."""


def _choice(value: str | None, choices: tuple[str, ...], flag: str) -> str | None:
    if value is None or value in choices:
        return value
    raise UsageError(f"{flag} {value}: expected one of {', '.join(choices)}{closest(value, choices)}")


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise UsageError(f"--delimiter {value!r}: expected one character (or tab, comma, semicolon, pipe)")
    return value


def _config(config_file: str | None, no_config: bool) -> Any:
    from . import config

    return config.Config() if no_config else config.load(config_file)


def _plugins(files: list[str], settings: Any = None) -> None:
    """Installed plugins (entry points), the config file's plugins, then --plugin files."""
    from . import plugins

    plugins.load(list(getattr(settings, "plugins", ())) + list(files))


def _stdin_once(inputs: list[str | None]) -> None:
    """Standard input (``-``) is one of the inputs at most: it can be read once (the second read
    found it empty, and said "the file is empty")."""
    if inputs.count("-") > 1:
        raise UsageError("- (standard input) is given more than once, and it can be read once; save all but one "
                         "of those inputs to files")


def _setup(config_file: str | None, no_config: bool, plugin: list[str], max_: list[str],
           warn: list[str] | None = None) -> tuple[Any, list[Any]]:
    """The config file's settings (plugins loaded) and the --max and --warn gates over the file's gates."""
    from . import gates

    settings = _config(config_file, no_config)
    _plugins(plugin, settings)
    flags = [gates.parse_threshold(t) for t in max_] + [gates.parse_threshold(t, "--warn") for t in warn or []]
    return settings, gates.merge(settings.gates, flags)


def _options(settings: Any, thresholds: list[Any], *, labels: str | None, on: str | None, delimiter: str | None,
             decimal: str | None, true: list[str], pred: list[str], task: str | None, positive: str | None,
             predictions: str | None, weight: str | None, loss: list[str], param: list[str], dropna: bool,
             ci: float | None, bootstrap: int, seed: int) -> Any:
    """The options of eval and compare: flags over the config file (--loss replaces the file's list,
    --param its values key by key)."""
    from .options import EvalOptions, parse_param_flags, typed_params

    return EvalOptions(
        labels=labels, on=on, delimiter=_delimiter(delimiter), decimal=_choice(decimal, (".", ","), "--decimal"),
        true=tuple(true), pred=tuple(pred), task=task, positive=positive, predictions=predictions, weight=weight,
        losses=tuple(loss) or settings.loss, params=typed_params(settings.params, parse_param_flags(param)),
        dropna=dropna, also=tuple(t.loss for t in thresholds), ci=ci, bootstrap=bootstrap, seed=seed,
    )


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    pred_file: str = typer.Argument(..., metavar="PRED", help=(
        "Predictions: CSV/TSV (.gz .bz2 .xz .zst), JSON lines, parquet, Arrow IPC/Feather (told by content), "
        "or - for stdin."
    )),
    labels: str | None = LABELS, on: str | None = ON, delimiter: str | None = DELIMITER,
    decimal: str | None = DECIMAL,
    true: list[str] = TRUE, pred: list[str] = PRED, quantiles: str | None = QUANTILES, task: str | None = TASK,
    positive: str | None = POSITIVE,
    predictions: str | None = PREDICTIONS, weight: str | None = WEIGHT, loss: list[str] = LOSS,
    param: list[str] = PARAM, fmt: str | None = FORMAT, output: str | None = OUTPUT, dropna: bool = DROPNA,
    explain: bool = EXPLAIN, max_: list[str] = MAX, warn: list[str] = WARN,
    baseline: str | None = BASELINE, tolerance: str | None = TOLERANCE,
    ci: float | None = typer.Option(None, "--ci", help="Bootstrap confidence intervals at this level, e.g. 0.95."),
    bootstrap: int = BOOTSTRAP, seed: int = SEED, config_file: str | None = CONFIG, no_config: bool = NO_CONFIG,
    worst: int = typer.Option(0, "--worst", help="Show the N rows that add most to each pair's main loss."),
    per_row: str | None = typer.Option(None, "--per-row", help="Write every row's loss terms to this CSV file."),
    group_by: str | None = typer.Option(None, "--group-by", help=(
        "One result per value of this column, plus the overall one."
    )),
    per_class: bool = typer.Option(False, "--per-class", help=(
        "Each loss over the rows of each true class, and the confusion matrix (classification)."
    )),
    state: str | None = typer.Option(None, "--state", help=(
        "Also save the partial sums to this file, for `losscli merge`."
    )),
    engine: str = typer.Option("local", "--engine", help="local, or dask: each shard of a PRED glob as a Dask task."),
    scheduler: str | None = typer.Option(None, "--scheduler", help=(
        "With --engine dask: the address of an existing cluster."
    )),
    plugin: list[str] = PLUGIN, junit: str | None = JUNIT, quiet: bool = QUIET, verbose: bool = VERBOSE,
    log_to: list[str] = LOG_TO,
    plot: str | None = typer.Option(None, "--plot", help=(
        "Draw each classification pair's reliability diagram to FILE.png or FILE.svg (computes ece; "
        "needs matplotlib)."
    )),
) -> None:
    """Every applicable loss for every label/prediction pair in PRED."""
    with handled() as config:
        explain = _verbosity(quiet, verbose, explain)
        tracking.check(log_to)
        _choice(fmt, FORMATS, "--format")
        _stdin_once([pred_file, labels])
        from dataclasses import replace

        from . import gates
        from .evaluation import evaluate
        from .quantiles import parse_levels

        settings, thresholds = _setup(config_file, no_config, plugin, max_, warn)
        config.take(settings, param)
        if explain and settings.plugins:
            say(f"plugins of {settings.path}: {', '.join(settings.plugins)}", "dim")
        options = replace(_options(settings, thresholds, labels=labels, on=on, delimiter=delimiter, decimal=decimal,
                                   true=true, pred=pred, task=task, positive=positive, predictions=predictions,
                                   weight=weight, loss=loss, param=param, dropna=dropna, ci=ci,
                                   bootstrap=bootstrap, seed=seed),
                          worst=worst, group_by=group_by, per_row=per_row, for_merge=state is not None,
                          per_class=per_class or any(t.scope and t.scope[0] == "class" != group_by for t in thresholds),
                          quantiles=tuple(parse_levels(quantiles) or ()))
        if plot and not {"ece", "mce"} & set(options.losses + options.also):
            options = replace(options, also=options.also + ("ece",))  # (added to the listed losses)
        if engine not in ("local", "dask"):
            raise UsageError(f"--engine {engine}: expected local or dask{closest(engine, ('local', 'dask'))}")
        progress = None if quiet else _progress(pred_file)
        started = time.perf_counter()
        try:
            if engine == "dask":
                from .shards import evaluate_on_dask

                result = evaluate_on_dask(pred_file, options, scheduler, progress)
            else:
                result = evaluate(pred_file, options, progress=progress, started=ctx.obj)
        finally:
            if progress is not None:
                progress.stop()
        if verbose:
            seconds = time.perf_counter() - started
            say(f"read and scored {result.state.rows:,} rows in {seconds:.2f} s "
                f"({result.state.rows / max(seconds, 1e-9):,.0f} rows/s)", "dim")
        if explain:
            for line in result.explain:
                say(line, "dim")
        if state is not None:
            from .atomic import write_atomically

            write_atomically(state, result.state.to_json(), "--state")
        notes = result.notes + gates.apply(result.report, thresholds, baseline or settings.baseline,
                                           tolerance or settings.tolerance, options.losses)
        notes += tracking.log(log_to, result.report)
        if plot:
            _plot_reliability(result.report, plot)
        finish(result.report, notes, fmt, output, junit, "eval", verbose)


def _plot_reliability(report: Any, path: str) -> None:
    """``eval --plot``: the reliability diagrams of the pairs that have one."""
    from .chart import save_reliability

    found = [result for result in report.overall() if result.calibration]
    if not found:
        raise UsageError(f"--plot {path}: no pair has a reliability diagram (it is drawn for binary and "
                         "multi-class pairs with probabilities or scores)")
    save_reliability(found, path)


@app.command("compare")
def compare_command(
    base: str = typer.Argument(..., metavar="BASE", help=(
        "The baseline model's predictions (or, with --baseline-model, a file of several models' predictions)."
    )),
    new: list[str] = typer.Argument(None, metavar="[NEW]...", help=(
        "The new models' predictions on the same rows (each compared with BASE)."
    )),
    baseline_model: str | None = typer.Option(None, "--baseline-model", help=(
        "Several models in one file (pred_lr, pred_rf, …): compare every other model with this one."
    )),
    labels: str | None = LABELS, on: str | None = ON, delimiter: str | None = DELIMITER,
    decimal: str | None = DECIMAL,
    true: list[str] = TRUE, pred: list[str] = PRED, task: str | None = TASK, positive: str | None = POSITIVE,
    predictions: str | None = PREDICTIONS, weight: str | None = WEIGHT, loss: list[str] = LOSS,
    param: list[str] = PARAM, fmt: str | None = FORMAT, output: str | None = OUTPUT, dropna: bool = DROPNA,
    explain: bool = EXPLAIN, max_: list[str] = MAX, warn: list[str] = WARN,
    max_increase: list[str] = typer.Option([], "--max-increase", help=(
        "Gate: [PAIR:]LOSS=VALUE|PCT% fails when NEW − BASE is above it (repeatable)."
    )),
    equivalent: list[str] = typer.Option([], "--equivalent", help=(
        "Gate: [PAIR:]LOSS=VALUE|PCT% passes only when the whole interval of NEW − BASE lies within ±VALUE "
        "(no worse and no better; repeatable)."
    )),
    significant: bool = typer.Option(False, "--significant", help=(
        "Fail an increase gate only when the whole interval of the increase is above the limit."
    )),
    ci: float = typer.Option(0.95, "--ci", help="Confidence level of the paired bootstrap."),
    worst: int = typer.Option(0, "--worst", help="Show the N rows whose main loss changed most."),
    bootstrap: int = BOOTSTRAP, seed: int = SEED, config_file: str | None = CONFIG, no_config: bool = NO_CONFIG,
    plugin: list[str] = PLUGIN, junit: str | None = JUNIT, quiet: bool = QUIET, verbose: bool = VERBOSE,
    log_to: list[str] = LOG_TO,
) -> None:
    """The same losses for two models on the same rows, with the paired bootstrap of each difference
    (or every model of one file against --baseline-model, the p-values adjusted by Holm's method)."""
    with handled() as config:
        explain = _verbosity(quiet, verbose, explain)
        tracking.check(log_to)
        _choice(fmt, FORMATS, "--format")
        if bool(new) == (baseline_model is not None):
            raise UsageError("compare needs BASE and NEW files, or one file of several models with "
                             "--baseline-model NAME")
        _stdin_once([base, *(new or []), labels])
        from dataclasses import replace

        from . import gates
        from .comparison import compare, compare_models

        settings, thresholds = _setup(config_file, no_config, plugin, max_, warn)
        config.take(settings, param)
        increases = gates.merge(settings.max_increase, [gates.parse_threshold(t, "--max-increase", allow_percent=True)
                                                        for t in max_increase])
        same = [gates.parse_threshold(t, "--equivalent", allow_percent=True) for t in equivalent]
        options = _options(settings, thresholds + increases + same, labels=labels, on=on, delimiter=delimiter,
                           decimal=decimal, true=true, pred=pred, task=task, positive=positive,
                           predictions=predictions, weight=weight, loss=loss, param=param, dropna=dropna, ci=ci,
                           bootstrap=bootstrap, seed=seed)
        options = replace(options, worst=worst)
        started = time.perf_counter()
        report, notes, lines = compare(base, new, options) if new else \
            compare_models(base, str(baseline_model), options)
        if verbose:
            say(f"compared in {time.perf_counter() - started:.2f} s", "dim")
        if explain:
            for line in lines:
                say(line, "dim")
        gates.apply(report, thresholds)
        report.gates += gates.check_increase(report, increases, significant or settings.significant)
        report.gates += gates.check_equivalence(report, same)
        notes += tracking.log(log_to, report)
        finish(report, notes, fmt, output, junit, "compare", verbose)


@app.command("merge")
def merge_command(
    states: list[str] = typer.Argument(..., metavar="STATE...", help=(
        "Files saved by `losscli eval SHARD --state FILE`."
    )),
    fmt: str | None = FORMAT, output: str | None = OUTPUT, max_: list[str] = MAX, warn: list[str] = WARN,
    baseline: str | None = BASELINE, tolerance: str | None = TOLERANCE, plugin: list[str] = PLUGIN,
    no_config: bool = NO_CONFIG, junit: str | None = JUNIT, quiet: bool = QUIET, verbose: bool = VERBOSE,
    log_to: list[str] = LOG_TO,
) -> None:
    """One report from the partial states of shards: the report one run over all the rows gives."""
    with handled():
        _verbosity(quiet, verbose, False)
        tracking.check(log_to)
        _choice(fmt, FORMATS, "--format")
        _plugins(plugin, _config(None, no_config))
        from . import gates
        from .evaluation import counted_notes
        from .shards import merge_states

        report, merged = merge_states(states)
        thresholds = [gates.parse_threshold(t) for t in max_] + [gates.parse_threshold(t, "--warn") for t in warn]
        notes = counted_notes(merged)  # (the shards' warnings, said as one run over all the rows says them)
        notes += gates.apply(report, thresholds, baseline, tolerance)
        notes += tracking.log(log_to, report)
        finish(report, notes, fmt, output, junit, "merge", verbose)


def _verbosity(quiet: bool, verbose: bool, explain: bool) -> bool:
    """Set what standard error shows (--quiet: errors and failed gates only); whether to explain
    the decisions (--explain, or --verbose)."""
    if quiet and (verbose or explain):
        raise UsageError("--quiet leaves out what --verbose and --explain add; pass one of them")
    output.Verbosity.quiet = quiet
    return explain or verbose


def _progress(source: str) -> Any:
    """A progress callback (rows read) drawn on standard error when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("reading {task.description}: {task.completed:,} rows"),
                        TimeElapsedColumn(), transient=True, console=Console(stderr=True))
    task = progress.add_task(os.path.basename(source) if source != "-" else "stdin", total=None)
    state = {"started": False}
    import time

    start = time.monotonic()

    def advance(rows: int) -> None:
        progress.update(task, advance=rows)
        if not state["started"] and time.monotonic() - start > 1.0:  # only reads longer than a second
            progress.start()
            state["started"] = True

    advance.stop = progress.stop  # type: ignore[attr-defined]
    return advance


@app.command("history")
def history_command(
    log: str = typer.Argument(..., metavar="LOG", help=(
        "A training log: Keras/Lightning CSV, trainer_state.json, CSV or JSON lines."
    )),
    train: str | None = typer.Option(None, "--train", help="The training-loss column (default: loss, train_loss, …)."),
    val: str | None = typer.Option(None, "--val", help="The validation-loss column (default: val_loss, eval_loss, …)."),
    epoch: str | None = typer.Option(None, "--epoch", help="The epoch column (default: epoch)."),
    patience: int = typer.Option(3, "--patience", help=(
        "Epochs without a better validation loss that count as overfitting."
    )),
    plot: str | None = typer.Option(None, "--plot", help=(
        "Also draw the curves to FILE.png or FILE.svg (needs matplotlib)."
    )),
    fail_on_overfit: bool = typer.Option(False, "--fail-on-overfit", help="Exit 1 when overfitting is detected."),
    fail_on_diverge: bool = typer.Option(False, "--fail-on-diverge", help=(
        "Exit 1 when the run diverged (a NaN or infinite loss)."
    )),
    fmt: str | None = typer.Option(None, "--format", "-f", help=(
        "table or json (default: table on a terminal, else json)."
    )),
    output: str | None = OUTPUT,
    no_config: bool = typer.Option(False, "--no-config", help="Ignore configuration files (history reads none)."),
) -> None:
    """A training log's curve, best epoch, overfitting, divergence and generalisation gap."""
    with handled():
        _choice(fmt, ("table", "json"), "--format")
        from . import history

        report = history.analyse(history.read(log, train=train, val=val, epoch=epoch), patience)
        if plot:
            from .chart import save_plot

            save_plot(report, plot)
        over, diverged = report["overfitting"], report["diverged"]
        failures = []
        if fail_on_overfit and over["detected"]:
            failures.append(f"overfitting: no better {report['val']} for {over['epochs_since_best']} epochs "
                            f"after epoch {report['best']['epoch']} while {report['train']} kept falling")
        diverged_message = f"the run diverged: a NaN or infinite loss from epoch {diverged['from_epoch']}"
        if fail_on_diverge and diverged["detected"]:
            failures.append(diverged_message)
        elif diverged["detected"]:
            say(diverged_message, "yellow")
        report["passed"] = not failures
        emit_history(report, fmt, output)
        for failure in failures:
            say(failure, "red")
        if failures:
            raise typer.Exit(ExitCode.GATE_FAILED)


@app.command("list")
def list_command(
    task: str | None = typer.Option(None, "--task", help="Only the losses of this task."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table or json (default: table on a terminal)."),
    plugin: list[str] = PLUGIN, no_config: bool = NO_CONFIG,
) -> None:
    """The registered losses: names, tasks, parameters, aliases, and where each comes from."""
    with handled():
        _choice(fmt, ("table", "json"), "--format")
        _plugins(plugin, _config(None, no_config))
        from . import catalogue

        entries = catalogue.entries(task)
        if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
            from .report import to_json

            sys.stdout.write(to_json({"losses": entries}))
        else:
            catalogue.print_list(entries, stdout_console())


@app.command("explain")
def explain_command(
    name: str = typer.Argument(..., metavar="LOSS", help="A loss name or alias (e.g. log_loss, BCELoss)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="table or json."),
    plugin: list[str] = PLUGIN, no_config: bool = NO_CONFIG,
) -> None:
    """A loss's formula, conventions, parameters and reference."""
    with handled():
        _choice(fmt, ("table", "json"), "--format")
        _plugins(plugin, _config(None, no_config))
        from . import catalogue

        entries = catalogue.explain(name)
        if fmt == "json":
            from .report import to_json

            sys.stdout.write(to_json({"losses": entries}))
        else:
            catalogue.print_explain(entries, stdout_console(highlight=False))


def main(started: StartedRead | None = None) -> None:
    """Run the command line (the console script enters through :func:`losscli.launch.main`, which
    may have begun reading eval's file: ``started``, the context object ``eval`` takes it from)."""
    try:
        app(obj=started)
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(ExitCode.OK)
