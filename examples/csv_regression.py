"""Regression on your own CSV file: load it, fit an MLP with MSE, report the error.

The script writes a small CSV first (a noisy y = sin(a) + b/2) so that it
runs anywhere; point ``load_csv`` at your own file and target column instead.
"""

import csv
import tempfile
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import data, nn, optim
from chainrule import functional as F


def write_example_csv(path: Path) -> None:
    rng = np.random.default_rng(0)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "y"])
        for _ in range(400):
            a, b = rng.uniform(-3, 3), rng.uniform(-1, 1)
            writer.writerow([a, b, np.sin(a) + b / 2 + 0.05 * rng.normal()])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "example.csv"
        write_example_csv(path)
        # NOTE: y_dtype: floats, even if every y were a whole number (which
        # would otherwise be read as class labels).
        table = data.load_csv(path, target="y", y_dtype=np.float64)

    x_train, x_test, y_train, y_test = data.train_test_split(
        table.x, table.y, test_size=0.25, seed=0
    )
    scaler = data.Standardize().fit(x_train)
    x_train, x_test = (
        cr.tensor(scaler.transform(x_train)),
        cr.tensor(scaler.transform(x_test)),
    )
    y_train, y_test = cr.tensor(y_train[:, None]), cr.tensor(y_test[:, None])

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 1))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x_train), y_train)
        loss.backward()
        optimizer.step()

    with cr.no_grad():
        rmse = float(F.mse_loss(model(x_test), y_test).item()) ** 0.5
    print(f"columns {table.feature_names} -> y; test RMSE {rmse:.3f} (noise 0.05)")
    assert rmse < 0.15


if __name__ == "__main__":
    main()
