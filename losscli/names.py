"""What column names say: the words of labels, predictions, row ids, weights and groups, and names
compared with case, ``-``, ``.``, spaces and camelCase folded (:func:`normalise`). The one vocabulary
that pairing, joins and the id column of ``--worst`` share.
"""

from __future__ import annotations

import re

TRUE_WORDS = {"y", "true", "y_true", "label", "labels", "target", "targets", "actual", "actuals",
              "truth", "ground_truth", "gt", "gold", "y_test", "observed", "obs", "class",
              "outcome", "y_label", "true_label", "y_actual", "reference"}
PRED_WORDS = {"pred", "preds", "prediction", "predictions", "predicted", "y_pred", "y_hat", "yhat",
              "hat", "score", "scores", "y_score", "output", "outputs", "prob", "probs", "proba",
              "probability", "probabilities", "y_prob", "y_proba", "logit", "logits", "y_logit",
              "estimate", "forecast", "fitted", "decision", "decision_function", "p", "y_predicted",
              "predicted_label", "pred_label", "predict"}
SOFT_WORDS = {"prob", "probs", "proba", "probability", "probabilities", "y_prob", "y_proba", "p", "score",
              "scores", "y_score", "logit", "logits", "y_logit", "decision", "decision_function"}
# class ids, not scores
HARD_WORDS = {"predicted_label", "pred_label", "predicted_class", "pred_class", "y_pred_label", "y_pred_class",
              "label_pred", "class_pred", "predicted_labels", "y_pred_hard", "hard_pred", "predict"}
# row identifiers (normalised names): a join key, the id of --worst rows; never a label or prediction
KEY_WORDS = {"id", "ids", "index", "idx", "row", "row_id", "rowid", "uuid", "key", "sample", "sample_id", "unnamed_0",
             ""}
# columns beside the labels and predictions that never pair: ids, weights, groups, folds, times
NOT_PAIRED_WORDS = KEY_WORDS | {"weight", "weights", "sample_weight", "w", "group", "groups", "fold", "split", "date",
                                "time", "timestamp", "epoch"}
# Columns of a labels file that are not labels unless named so (Kaggle's Usage, free-text notes).
IGNORED_WORDS = {"usage", "note", "notes", "comment", "comments", "description", "subset", "set", "source"}
# never a prediction's name (unlike target, label, Survived)
ONLY_LABEL_WORDS = {"y_true", "true", "true_label", "ground_truth", "truth", "gt", "gold", "y_actual", "y_test",
                    "actual", "actuals", "observed"}
PANDAS_INDEX = "index_level_"  # pandas stores a DataFrame's index as __index_level_0__ (normalised: index_level_0)


def normalise(name: str) -> str:
    """``yPred`` / ``Y-Pred`` / ``y pred`` -> ``y_pred``."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def is_key_like(name: str) -> bool:
    """A row identifier by its name: ``id``, ``PassengerId``, ``customer_id``, the pandas index."""
    norm = normalise(name)
    return norm in KEY_WORDS or norm.endswith("_id") or (norm.endswith("id") and name[-2:] == "Id") \
        or norm.startswith(PANDAS_INDEX)


def is_saved_index(name: str) -> bool:
    """A DataFrame's index as pandas saves it: the unnamed first column of ``to_csv`` (read back:
    ``Unnamed: 0``), ``index`` of ``reset_index()``, ``__index_level_0__`` of parquet."""
    norm = normalise(name)
    return norm in ("", "unnamed_0", "index") or norm.startswith(PANDAS_INDEX)


def is_id_like(name: str) -> bool:
    """A column that never pairs: a row id (:func:`is_key_like`), a weight, a group, a fold, a time."""
    return normalise(name) in NOT_PAIRED_WORDS or is_key_like(name)


def named_as_label(name: str) -> bool:
    """``y_true``, ``ground_truth``, ``price_true``: a name only labels have (a Kaggle submission's
    ``target`` or ``Label`` is its prediction)."""
    norm = normalise(name)
    return norm in ONLY_LABEL_WORDS or norm.endswith("_true")
