"""A training loop in about 30 lines: an MLP on the digits dataset.

The library's pieces as a PyTorch user would wire them: a dataset split,
standardised on the training part, a DataLoader, a model, a loss, an
optimizer, and gradient clipping by L2 norm.
"""

import numpy as np

import chainrule as cr
from chainrule import data, nn, optim
from chainrule import functional as F

digits = data.load_dataset("digits")
x_train, x_test, y_train, y_test = data.train_test_split(
    digits.x, digits.y, test_size=0.2, seed=0, stratify=digits.y
)
scaler = data.Standardize().fit(x_train)
loader = data.DataLoader(
    data.TensorDataset(scaler.transform(x_train), y_train),
    batch_size=64,
    shuffle=True,
    seed=0,
)

cr.manual_seed(0)
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = optim.Adam(model.parameters(), lr=2e-3)

for _ in range(15):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()

model.eval()
with cr.no_grad():
    predicted = model(cr.tensor(scaler.transform(x_test))).data.argmax(axis=1)
accuracy = float(np.mean(predicted == y_test))
print(f"test accuracy after 15 epochs: {accuracy:.3f}")
assert accuracy > 0.95
