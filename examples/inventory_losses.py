"""An example losscli plugin: the asymmetric squared error of inventory planning.

Running out of stock (forecast below demand) loses sales and customers; overstock only costs
storage. Use it as it is, or as a template for your own losses:

    losscli eval forecasts.csv --plugin examples/inventory_losses.py --loss stockout_mse \\
        --param stockout_mse.stockout_cost=5 --max stockout_mse=120
"""

import numpy as np

from losscli import loss


@loss("stockout_mse", tasks=["regression"], params={"stockout_cost": 4.0, "holding_cost": 1.0},
      aliases=("inventory_mse",), reference="asymmetric squared error; see examples/inventory_losses.py")
def stockout_mse(y_true, y_pred, *, stockout_cost, holding_cost):
    r"""Squared error weighted by what it costs: short of demand ``stockout_cost``, over it ``holding_cost``.

    .. math:: \ell_i = (c_s [\hat y_i < y_i] + c_h [\hat y_i \ge y_i]) (y_i - \hat y_i)^2
    """
    short = y_pred < y_true
    return np.where(short, stockout_cost, holding_cost) * (y_true - y_pred) ** 2
