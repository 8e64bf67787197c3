"""The options that several commands share (typer reads them from the parameters' defaults): one
definition, the same help in every command.
"""

import typer

LABELS = typer.Option(None, "--labels", help=(
    "Labels in a separate file, joined on --on, or on the shared column unique in both files (id, "
    "PassengerId, the pandas index), else row by row."
))
ON = typer.Option(None, "--on", help=(
    "Join column (id) shared by the files; PRED_COL=LABELS_COL when they name it differently."
))
DELIMITER = typer.Option(None, "--delimiter", help="Field delimiter (default: sniffed; .tsv is tab).")
DECIMAL = typer.Option(None, "--decimal", help=(
    "Decimal mark of a CSV: . or , (default: sniffed; ',' only with ; tab or | delimiters)."
))
TRUE = typer.Option([], "--true", help="Label column(s) of a pair (repeatable, with --pred).")
PRED = typer.Option([], "--pred", help="Prediction column(s) of a pair: COL, COL,COL... or a quoted glob.")
QUANTILES = typer.Option(None, "--quantiles", help=(
    "Quantile levels of the --pred columns, in their order (e.g. 0.1,0.5,0.9), when their names do not say them."
))
TASK = typer.Option(None, "--task", help="regression, binary, sparse, multiclass or multilabel (default: inferred).")
POSITIVE = typer.Option(None, "--positive", help=(
    "The positive label of a binary task (default: the class the prediction column names, as p_benign, else "
    "the larger)."
))
PREDICTIONS = typer.Option(None, "--predictions", help="probability or logits (default: inferred from the values).")
WEIGHT = typer.Option(None, "--weight", help="Sample-weight column: losses become Σw·ℓ / Σw.")
LOSS = typer.Option([], "--loss", "-l", help="Only these losses (repeatable; aliases accepted).")
PARAM = typer.Option([], "--param", "-p", help="LOSS.KEY=VALUE, e.g. focal.gamma=3 (repeatable).")
FORMAT = typer.Option(None, "--format", "-f", help=(
    "table, json, csv, markdown or openmetrics (default: table on a terminal, else json)."
))
LOG_TO = typer.Option([], "--log-to", help=(
    "Also log the losses to this experiment tracker: mlflow or wandb (repeatable; configured by its own "
    "environment)."
))
JUNIT = typer.Option(None, "--junit", help="Also write the gates to this file as JUnit XML (a test case per gate).")
QUIET = typer.Option(False, "--quiet", "-q", help="Nothing on standard error but errors and failed gates.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also say how each decision was made (--explain), and timings.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write the report to this file (atomically; not when a gate fails).")
DROPNA = typer.Option(False, "--dropna", help="Skip rows with empty or NaN cells (and say how many).")
EXPLAIN = typer.Option(False, "--explain", help="Print how each pair, task and prediction kind was decided.")
MAX = typer.Option([], "--max", help=(
    "Gate: [PAIR:]LOSS=VALUE fails (exit 1) when the loss is above VALUE (repeatable); "
    "'COLUMN=GROUP:LOSS=VALUE' judges a --group-by group, 'COLUMN=*:…' every group (the worst), "
    "'class=*:…' every true class."
))
WARN = typer.Option([], "--warn", help=(
    "As --max, but a loss above VALUE is a warning (exit 0)."
))
BOOTSTRAP = typer.Option(1000, "--bootstrap", help="Bootstrap resamples.")
SEED = typer.Option(0, "--seed", min=0, max=(1 << 64) - 1,
                    help="Random seed of the bootstrap, 0…2^64−1 (same seed, same interval).")
CONFIG = typer.Option(None, "--config", help=(
    "Settings file (default: the nearest losscli.toml or pyproject.toml \\[tool.losscli])."
))
NO_CONFIG = typer.Option(False, "--no-config", help="Ignore configuration files.")
BASELINE = typer.Option(None, "--baseline", help=(
    "Gate: fail when a loss rose past --tolerance over this saved JSON report."
))
TOLERANCE = typer.Option(None, "--tolerance", help="Allowed rise over --baseline: absolute (0.01) or relative (2%).")
PLUGIN = typer.Option([], "--plugin", help="A Python file of @loss functions to register (repeatable).")
