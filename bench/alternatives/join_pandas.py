"""Predictions and labels in two files merged on id with pandas, then scikit-learn's losses.

python join_pandas.py PREDS LABELS  (prints CSV: key, the losses)
"""

import sys

import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, zero_one_loss

df = pd.read_csv(sys.argv[1]).merge(pd.read_csv(sys.argv[2]), on="id")
y, p = df["y_true"], df["y_pred"]
print("key,binary_crossentropy,brier,zero_one")
print(f"all,{log_loss(y, p)!r},{brier_score_loss(y, p)!r},{zero_one_loss(y, p > 0.5)!r}")
