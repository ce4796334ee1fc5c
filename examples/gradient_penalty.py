"""A gradient penalty (WGAN-GP): a derivative with respect to the input in the loss.

A Wasserstein GAN on 2-D points. The critic D scores points; the generator
G(z) = z A + b moves Gaussian noise towards the real points, a blob centred
at (2, -1). The critic must be 1-Lipschitz, which WGAN-GP enforces softly:
on points between real and generated ones it adds

    10 * mean((|dD/dx| - 1)²)

to the critic's loss. ``cr.func.grad(lambda x: D(x).sum())`` gives the data
gradient dD/dx; because D closes over its weights, which require grad, that
gradient comes out differentiable, and ``loss.backward()`` reaches the weight
gradients through it (a second-order derivative).
"""

import numpy as np

import chainrule as cr
from chainrule import func, nn, optim

REAL_CENTRE = np.array([2.0, -1.0])
BATCH, CRITIC_STEPS, GENERATOR_STEPS = 64, 3, 150


def main() -> None:
    rng = np.random.default_rng(0)
    cr.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1))
    generator = nn.Linear(2, 2)
    critic_opt = optim.Adam(critic.parameters(), lr=5e-3, betas=(0.5, 0.9))
    generator_opt = optim.Adam(generator.parameters(), lr=2e-2, betas=(0.5, 0.9))

    def data_gradient_norm(x: cr.Tensor) -> cr.Tensor:
        """|dD/dx| for each row of x, differentiable in D's weights."""
        g = func.grad(lambda t: critic(t).sum())(x)
        return cr.sqrt((g**2).sum(axis=1) + 1e-12)

    start = generator.bias.data.copy()
    for step in range(GENERATOR_STEPS):
        for _ in range(CRITIC_STEPS):
            real = cr.tensor(REAL_CENTRE + 0.3 * rng.standard_normal((BATCH, 2)))
            with cr.no_grad():
                fake = generator(cr.tensor(rng.standard_normal((BATCH, 2))))
            mix = rng.random((BATCH, 1))
            between = cr.tensor(mix * real.data + (1 - mix) * fake.data)
            penalty = ((data_gradient_norm(between) - 1) ** 2).mean()
            wasserstein = critic(real).mean() - critic(fake).mean()
            critic_loss = -wasserstein + 10 * penalty
            critic_opt.zero_grad()
            critic_loss.backward()
            critic_opt.step()

        generator_loss = -critic(generator(cr.randn(BATCH, 2))).mean()
        generator_opt.zero_grad()
        generator_loss.backward()
        generator_opt.step()
        if step % 30 == 0 or step == GENERATOR_STEPS - 1:
            print(
                f"step {step:3d}: Wasserstein estimate {wasserstein.item():6.3f}, "
                f"penalty {penalty.item():.4f}, generator centre "
                f"{np.round(generator.bias.data, 2)}"
            )

    norms = data_gradient_norm(between).data
    print(f"|dD/dx| between real and fake: mean {norms.mean():.3f} (target 1)")
    distance = np.linalg.norm(generator.bias.data - REAL_CENTRE)
    print(
        f"generator centre moved from {np.round(start, 2)} to "
        f"{np.round(generator.bias.data, 2)}; real centre {REAL_CENTRE}"
    )
    assert distance < 0.1 * np.linalg.norm(start - REAL_CENTRE), distance
    assert abs(norms.mean() - 1) < 0.3, norms.mean()


if __name__ == "__main__":
    main()
