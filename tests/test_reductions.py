"""wape, max_error and median_absolute_error (issue 18): hand-worked values, scikit-learn, and every
path (chunks, ``--state`` + ``merge``, ``--engine dask``, ``--group-by``, ``--ci``, ``compare``):
a ratio of sums and a maximum merge exactly; a median is exact in one run and skipped with its
reason where only sums travel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import max_error, median_absolute_error
from sklearn.utils.stats import _weighted_percentile

from losscli import csv_stream, losses  # noqa: F401
from losscli.registry import Inputs, accumulate, lookup, terms, weighted_median
from losscli.state import NOT_KEPT
from losscli.sums import GroupSums

from .conftest import run

NAMES = ("wape", "max_error", "median_absolute_error")
Y = np.array([3.0, -0.5, 12.0, 7.0, 1.0])
P = np.array([2.5, 0.0, 2.0, 8.0, 3.0])
W = np.array([1.0, 2.0, 0.0, 1.0, 2.0])


def _value(name: str, y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float | None:
    spec = lookup(name, "regression")
    inputs = Inputs("regression", "values", y, p, w)
    if spec.reduction == "median":
        return float(weighted_median(terms(spec, inputs, spec.params), w)[0])
    return spec.value(accumulate(spec, inputs))


def _wape(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    w = np.ones(len(y)) if w is None else w
    return float((w * np.abs(y - p).reshape(len(y), -1).sum(axis=1)).sum()
                 / (w * np.abs(y).reshape(len(y), -1).sum(axis=1)).sum())


def test_by_hand():
    # errors |y − ŷ| = 0.5, 0.5, 10, 1, 2; Σ|e| = 14, Σ|y| = 3 + 0.5 + 12 + 7 + 1 = 23.5
    assert _value("wape", Y, P) == pytest.approx(14 / 23.5, rel=1e-15)
    # weighted (1, 2, 0, 1, 2): Σw|e| = 0.5 + 1 + 0 + 1 + 4 = 6.5, Σw|y| = 3 + 1 + 0 + 7 + 2 = 13
    assert _value("wape", Y, P, W) == pytest.approx(6.5 / 13, rel=1e-15)
    # the worst row is 10; its weight is 0, so weighted the worst is 2 (weights do not scale the rest)
    assert _value("max_error", Y, P) == 10.0
    assert _value("max_error", Y, P, W) == 2.0
    # sorted errors 0.5 0.5 1 2 10: the median is 1
    assert _value("median_absolute_error", Y, P) == 1.0
    # weighted: sorted 0.5 (w 1), 0.5 (2), 1 (1), 2 (2), 10 (0); cumulative 1, 3, 4, 6, 6; half of 6 is 3,
    # reached exactly at the second 0.5: the mean of it and the next error of weight > 0, (0.5 + 1) / 2
    assert _value("median_absolute_error", Y, P, W) == 0.75
    assert _value("median_absolute_error", Y, P, W) == median_absolute_error(Y, P, sample_weight=W)
    assert _value("max_error", Y, P) == max_error(Y, P)


@pytest.mark.parametrize("seed", range(6))
def test_equal_scikit_learn_and_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    y = rng.normal(0, 3, n).round(int(rng.integers(0, 3)))  # (rounded: ties, and halves on a point)
    p = rng.normal(0, 3, n).round(1)
    w = rng.integers(0, 4, n).astype(float) if seed % 2 else rng.uniform(0, 2, n)
    w[0] = max(w[0], 1.0)
    assert _value("max_error", y, p) == max_error(y, p)
    assert _value("max_error", y, p, w) == max_error(y[w > 0], p[w > 0])
    assert _value("median_absolute_error", y, p) == pytest.approx(median_absolute_error(y, p), rel=1e-12, abs=1e-15)
    assert _value("median_absolute_error", y, p, w) == pytest.approx(
        median_absolute_error(y, p, sample_weight=w), rel=1e-12, abs=1e-15)
    if np.abs(y).sum() > 0:
        assert _value("wape", y, p) == pytest.approx(_wape(y, p), rel=1e-12)
        assert _value("wape", y, p, w) == pytest.approx(_wape(y, p, w), rel=1e-12)


def test_several_outputs():
    rng = np.random.default_rng(5)
    y, p, w = rng.normal(size=(40, 3)), rng.normal(size=(40, 3)), rng.uniform(size=40)
    # median: scikit-learn's uniform average of each output's median; wape and max: over all cells
    assert _value("median_absolute_error", y, p) == pytest.approx(median_absolute_error(y, p), rel=1e-12)
    assert _value("median_absolute_error", y, p, w) == pytest.approx(
        median_absolute_error(y, p, sample_weight=w), rel=1e-12)
    assert _value("wape", y, p, w) == pytest.approx(_wape(y, p, w), rel=1e-12)
    assert _value("max_error", y, p) == np.abs(y - p).max()


def test_weighted_median_per_group_equals_scikit_learn_on_each_group():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        v = rng.integers(0, 6, n).astype(float)
        w = rng.integers(0, 3, n).astype(float)
        codes = rng.integers(0, 4, n)
        found = weighted_median(v, w, codes, 5)
        for g in range(5):
            rows = codes == g
            if w[rows].sum() == 0:
                assert np.isnan(found[g])
            else:
                assert found[g] == _weighted_percentile(v[rows], w[rows], 50, average=True)


def test_bootstrap_maxima_are_the_largest_of_the_groups_drawn():
    rng = np.random.default_rng(1)
    t, codes = rng.exponential(size=500), rng.integers(0, 40, 500)
    spec = lookup("max_error", "regression")
    inputs = Inputs("regression", "values", t, np.zeros(500))
    from losscli.registry import sum_terms

    sums = sum_terms(spec, inputs, terms(spec, inputs, {}), codes, 40)
    counts = rng.multinomial(40, np.full(40, 1 / 40), size=30).astype(float)
    combined = sums.combine(counts)
    for b in range(30):
        drawn = np.repeat(np.arange(40), counts[b].astype(int))
        assert combined.maximum[b] == t[np.isin(codes, drawn)].max()
    halves = GroupSums(sums.weighted_sum[:20], sums.weight[:20], maximum=sums.maximum[:20])
    assert (halves + halves).maximum.tolist() == halves.maximum.tolist()


def _data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.gamma(2, 5, n).round(2)
    p = (y + rng.normal(0, 2, n)).round(2)
    w = rng.integers(0, 4, n).astype(float)
    site = np.array(["north", "south", "east"])[rng.integers(0, 3, n)]
    return y, p, w, site


def _text(y, p, w, site) -> str:
    return "y_true,y_pred,w,site\n" + "".join(f"{a},{b},{c:g},{s}\n" for a, b, c, s in zip(y, p, w, site))


def _expected(y, p, w=None) -> dict[str, float]:
    return {"wape": _wape(y, p, w),
            "max_error": float(max_error(y, p) if w is None else max_error(y[w > 0], p[w > 0])),
            "median_absolute_error": float(median_absolute_error(y, p, sample_weight=w))}


ARGS = ["-l", "wape", "-l", "max_error", "-l", "median_absolute_error", "--format", "json"]


@pytest.mark.parametrize("weighted", [False, True])
def test_every_path_gives_the_one_piece_values(write, tmp_path, monkeypatch, weighted):
    y, p, w, site = _data()
    path = write("reg.csv", _text(y, p, w, site))
    weights = ["--weight", "w"] if weighted else []
    one_piece = run("eval", path, *ARGS, *weights).json["results"][0]
    expected = _expected(y, p, w if weighted else None)
    assert one_piece["losses"] == pytest.approx(expected, rel=1e-12)
    # small chunks: many chunks, every chunk edge crossed
    monkeypatch.setattr(csv_stream, "FIRST_CHUNK_BYTES", 8_000)
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 6_000)
    monkeypatch.setattr(csv_stream, "BLOCK_BYTES", 3_000)
    chunked = run("eval", path, *ARGS, *weights).json["results"][0]
    assert chunked["losses"] == pytest.approx(expected, rel=1e-12)
    # per group: each group's own values, the median too
    grouped = run("eval", path, *ARGS, *weights, "--group-by", "site").json["results"]
    assert grouped[0]["losses"] == pytest.approx(expected, rel=1e-12)
    for group in grouped[1:]:
        rows = site == group["group"]
        assert group["losses"] == pytest.approx(_expected(y[rows], p[rows], w[rows] if weighted else None), rel=1e-12)
    # shards, --state, merge: the sums merge; the median is skipped with its reason
    lines = Path(path).read_text().splitlines()
    states = []
    for i, part in enumerate((lines[1:1000], lines[1000:2200], lines[2200:])):
        shard = write(f"part{i}.csv", "\n".join([lines[0], *part]) + "\n")
        states.append(tmp_path / f"s{i}.json")
        saved = run("eval", shard, *ARGS, *weights, "--group-by", "site", "--state", states[-1])
        assert saved.code == 0
    merged = run("merge", *states, "--format", "json").json["results"]
    assert merged[0]["losses"] == pytest.approx({k: v for k, v in expected.items() if k != "median_absolute_error"},
                                                rel=1e-12)
    assert merged[0]["skipped"]["median_absolute_error"] == NOT_KEPT
    for group in merged[1:]:
        rows = site == group["group"]
        want = _expected(y[rows], p[rows], w[rows] if weighted else None)
        assert group["losses"]["wape"] == pytest.approx(want["wape"], rel=1e-12)
        assert group["losses"]["max_error"] == want["max_error"]


def test_dask_on_a_glob_of_shards(write, tmp_path):
    pytest.importorskip("dask")
    y, p, w, site = _data(seed=1)
    lines = _text(y, p, w, site).splitlines()
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, part in enumerate((lines[1:1200], lines[1200:2100], lines[2100:])):
        (folder / f"part{i}.csv").write_text("\n".join([lines[0], *part]) + "\n")
    expected = _expected(y, p, w)
    sharded = run("eval", str(folder / "*.csv"), *ARGS, "--weight", "w", "--engine", "dask").json["results"][0]
    assert sharded["losses"]["wape"] == pytest.approx(expected["wape"], rel=1e-12)
    assert sharded["losses"]["max_error"] == expected["max_error"]
    assert sharded["skipped"]["median_absolute_error"] == NOT_KEPT
    # the same glob in one run (no Dask) keeps every row: the median is exact
    glob = run("eval", str(folder / "*.csv"), *ARGS, "--weight", "w").json["results"][0]
    assert glob["losses"] == pytest.approx(expected, rel=1e-12)


def test_confidence_intervals(write):
    y, p, w, site = _data(n=2500, seed=2)
    path = write("reg.csv", _text(y, p, w, site))
    found = run("eval", path, *ARGS, "--ci", "0.9", "--bootstrap", "200")
    result = found.json["results"][0]
    for name in ("wape", "max_error"):
        low, high = result["ci"][name]
        assert low <= result["losses"][name] <= high
    assert result["ci"]["max_error"][1] == result["losses"]["max_error"]  # (a resample's max is at most the max)
    assert result["ci"]["median_absolute_error"] is None
    assert "median_absolute_error has no --ci interval" in found.stderr
    assert result["losses"]["median_absolute_error"] == pytest.approx(median_absolute_error(y, p), rel=1e-12)
    small = write("small.csv", _text(y[:300], p[:300], w[:300], site[:300]))  # (the classic bootstrap: a row each)
    low, high = run("eval", small, *ARGS, "--ci", "0.9").json["results"][0]["ci"]["max_error"]
    assert low <= high == max_error(y[:300], p[:300])


def test_the_report_of_eval_state_skips_the_median_too(write, tmp_path):
    y, p, w, site = _data(n=50)
    path = write("reg.csv", _text(y, p, w, site))
    result = run("eval", path, *ARGS, "--state", tmp_path / "s.json").json["results"][0]
    assert result["skipped"] == {"median_absolute_error": NOT_KEPT}
    assert result["losses"]["max_error"] == max_error(y, p)


def test_compare_gives_the_median_and_its_difference_without_an_interval(write):
    y, p, _, _ = _data(n=400, seed=3)
    other = p + 0.5
    base = write("base.csv", "y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(y, p)))
    new = write("new.csv", "y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(y, other)))
    found = run("compare", base, new, *ARGS)
    assert found.code == 0, found.stderr
    result = found.json["results"][0]
    assert result["losses"]["median_absolute_error"] == pytest.approx(median_absolute_error(y, other), rel=1e-12)
    assert result["diff"]["median_absolute_error"] == pytest.approx(
        median_absolute_error(y, other) - median_absolute_error(y, p), rel=1e-12)
    assert result["ci"]["median_absolute_error"] is None
    assert result["losses"]["max_error"] == max_error(y, other)
    assert result["losses"]["wape"] == pytest.approx(_wape(y, other), rel=1e-12)
    for form in ("table", "markdown", "csv"):  # (no p-value for the median: shown as —)
        assert run("compare", base, new, *ARGS[:-2], "--format", form).code == 0


def test_edge_inputs_give_a_reason_not_a_crash(write):
    zero = run("eval", write("z.csv", "y_true,y_pred\n0,1\n0,0\n0,-2\n"), *ARGS).json["results"][0]
    assert "wape divides by it" in zero["skipped"]["wape"]
    assert zero["losses"] == {"max_error": 2.0, "median_absolute_error": 1.0}
    one = run("eval", write("one.csv", "y_true,y_pred\n2,3.5\n"), *ARGS).json["results"][0]
    assert one["losses"] == {"wape": 0.75, "max_error": 1.5, "median_absolute_error": 1.5}
    unweighted = run("eval", write("w0.csv", "y_true,y_pred,w\n2,3.5,0\n1,1,0\n"), *ARGS, "--weight", "w")
    assert unweighted.code == 0
    assert set(unweighted.json["results"][0]["skipped"]) == set(NAMES)
    nan = run("eval", write("nan.csv", "y_true,y_pred\n2,3.5\n1,\n4,4\n"), *ARGS)
    assert nan.code == 3 and "Traceback" not in nan.stderr
    dropped = run("eval", write("nan2.csv", "y_true,y_pred\n2,3.5\n1,\n4,4\n"), *ARGS, "--dropna").json["results"][0]
    assert dropped["losses"] == {"wape": 0.25, "max_error": 1.5, "median_absolute_error": 0.75}
    huge = run("eval", write("big.csv", "y_true,y_pred\n1e308,-1e308\n1,2\n"), *ARGS)
    assert "Warning" not in huge.stderr
    assert all("overflows float64" in huge.json["results"][0]["skipped"][name] for name in NAMES)


def test_group_whose_labels_are_zero_has_no_wape(write):
    text = "y_true,y_pred,g\n0,1,a\n0,2,a\n4,3,b\n"
    results = run("eval", write("g.csv", text), *ARGS, "--group-by", "g").json["results"]
    assert results[0]["losses"]["wape"] == pytest.approx(4 / 4)
    assert results[1]["group"] == "a" and results[1]["losses"]["wape"] is None
    assert results[1]["losses"]["max_error"] == 2.0 and results[1]["losses"]["median_absolute_error"] == 1.5


def test_state_files_keep_and_check_the_maxima(write, tmp_path):
    y, p, w, site = _data(n=60)
    path = write("reg.csv", _text(y, p, w, site))
    state = tmp_path / "s.json"
    run("eval", path, "-l", "max_error", "-l", "mse", "--group-by", "site", "--ci", "0.9", "--state", state)
    saved = json.loads(state.read_text())
    kept = saved["pairs"][0]["losses"]
    assert kept["max_error"]["partial"]["maximum"] == max_error(y, p) and "maximum" not in kept["mse"]["partial"]
    assert len(kept["max_error"]["boot"]["maximum"]) == 1000
    assert run("merge", state, "--format", "json").json["results"][0]["losses"]["max_error"] == max_error(y, p)
    for damage in ({"max_error": None}, {"mse": 1.0}, {"max_error": float("nan")}):
        broken = json.loads(state.read_text())
        for name, value in damage.items():
            partial = broken["pairs"][0]["losses"][name]["partial"]
            if value is None:
                del partial["maximum"]
            else:
                partial["maximum"] = value
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(broken))
        found = run("merge", bad)
        assert found.code == 3 and "damaged state file" in found.stderr and "maximum" in found.stderr


def test_aliases_list_and_explain():
    assert run("eval", "--help").code == 0
    listed = {entry["name"]: entry for entry in json.loads(run("list", "--format", "json").stdout)["losses"]}
    assert {"wmape", "weighted_absolute_percentage_error"} <= set(listed["wape"]["aliases"])
    for name, alias, text in (("wape", "wmape", "Weighted absolute percentage error"),
                              ("max_error", "maximum_absolute_error", "Maximum absolute error"),
                              ("median_absolute_error", "medae", "Median absolute error")):
        assert text in run("explain", alias).stdout
        assert not lookup(name, "regression").default


def test_a_plugin_may_reduce_by_max_per_class_and_through_merge(write, tmp_path):
    plugin = write("plug.py", "import numpy as np\nfrom losscli import loss\n\n"
                              "@loss('worst_gap', tasks=['binary'], reduction='max', default=False)\n"
                              "def worst_gap(y, p):\n    \"\"\"Largest |y - p|.\"\"\"\n    return np.abs(y - p)\n")
    path = write("b.csv", "y_true,y_pred\n1,0.9\n0,0.3\n1,0.4\n0,0.1\n")
    args = ["--plugin", plugin, "-l", "worst_gap", "--per-class", "--format", "json"]
    whole = run("eval", path, *args, "--state", tmp_path / "s.json").json["results"][0]
    assert whole["losses"] == {"worst_gap": pytest.approx(0.6)}
    assert [c["losses"]["worst_gap"] for c in whole["per_class"]] == [pytest.approx(0.3), pytest.approx(0.6)]
    merged = run("merge", tmp_path / "s.json", "--plugin", plugin, "--format", "json").json["results"][0]
    assert merged["losses"] == whole["losses"] and merged["per_class"] == whole["per_class"]
