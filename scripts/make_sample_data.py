"""Write sample_data/: one small file per situation losscli handles, from data sets scikit-learn bundles.

Re-runnable and seeded: `make sample-data` (scikit-learn is a test dependency, not a runtime one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_linnerud, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = Path(__file__).resolve().parent.parent / "sample_data"
SEED = 0


def split(x, y):
    return train_test_split(x, y, test_size=0.3, random_state=SEED)


def classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))


def write(name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(OUT / name, index=False, float_format="%.10g")
    print(f"{name}: {len(frame)} rows, columns {', '.join(frame.columns[:6])}{'…' if frame.shape[1] > 6 else ''}")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(SEED)

    x, y = load_diabetes(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y)
    write("regression.csv", pd.DataFrame({"id": np.arange(1, len(yte) + 1), "y_true": yte,
                                          "y_pred": Ridge(alpha=0.1).fit(xtr, ytr).predict(xte)}))

    data = load_linnerud()
    model = LinearRegression().fit(data.data, data.target)
    frame = pd.DataFrame({"id": np.arange(1, len(data.target) + 1)})
    for j, name in enumerate(n.lower() for n in data.target_names):
        frame[f"{name}_true"] = data.target[:, j]
        frame[f"{name}_pred"] = model.predict(data.data)[:, j]
    write("regression_multi.csv", frame)

    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y)
    model = classifier().fit(xtr, ytr)
    write("binary_probabilities.csv", pd.DataFrame({"id": np.arange(1, len(yte) + 1), "y_true": yte,
                                                    "y_pred": model.predict_proba(xte)[:, 1]}))
    names = np.where(yte == 1, "benign", "malignant")
    # decision scores for "malignant", the positive class (the larger name in sort order)
    write("binary_logits.csv", pd.DataFrame({"diagnosis": names, "score": -model.decision_function(xte)}))

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = split(x, y)
    proba = classifier().fit(xtr, ytr).predict_proba(xte)
    frame = pd.DataFrame({"y_true": yte})
    for k in range(10):
        frame[f"p_{k}"] = proba[:, k]
    write("sparse_integers.csv", frame)

    targets = np.column_stack([yte % 2 == 0, yte >= 5, np.isin(yte, [2, 3, 5, 7])]).astype(int)
    train_targets = np.column_stack([ytr % 2 == 0, ytr >= 5, np.isin(ytr, [2, 3, 5, 7])]).astype(int)
    multi = MultiOutputClassifier(classifier()).fit(xtr, train_targets)
    frame = pd.DataFrame()
    for j, name in enumerate(["even", "large", "prime"]):
        frame[f"label_{name}"] = targets[:, j]
    for j, name in enumerate(["even", "large", "prime"]):
        frame[f"prob_{name}"] = multi.estimators_[j].predict_proba(xte)[:, 1]
    write("multilabel.csv", frame)

    iris = load_iris()
    xtr, xte, ytr, yte = split(iris.data, iris.target)
    proba = classifier().fit(xtr, ytr).predict_proba(xte)
    frame = pd.DataFrame({"species": iris.target_names[yte]})
    for k, name in enumerate(iris.target_names):
        frame[f"prob_{name}"] = proba[:, k]
    write("sparse_strings.csv", frame)

    ids = rng.permutation(np.arange(1000, 1000 + len(yte)))
    write("labels.csv", pd.DataFrame({"id": ids, "label": iris.target_names[yte]}))
    order = rng.permutation(len(yte))  # the predictions file lists the rows in another order
    frame = pd.DataFrame({"id": ids[order]})
    for k, name in enumerate(iris.target_names):
        frame[f"p_{name}"] = proba[order, k]
    write("predictions.csv", frame)

    wine = load_wine()
    xtr, xte, ytr, yte = split(wine.data, wine.target)
    proba = classifier().fit(xtr, ytr).predict_proba(xte)
    onehot = np.eye(3, dtype=int)[yte]
    frame = pd.DataFrame({f"y_true_{name}": onehot[:, k] for k, name in enumerate(wine.target_names)})
    for k, name in enumerate(wine.target_names):
        frame[f"y_pred_{name}"] = proba[:, k]
    write("multiclass_onehot.csv", frame)


if __name__ == "__main__":
    main()
