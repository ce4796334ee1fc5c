"""The optional packages a command needs, checked before it does any work.

Importing chainrule needs NumPy only; the commands need some of the extras
(``pip install 'chainrule[train]'`` installs them all). A command checks for
them first, so that a missing one is a message and exit status 2 at once,
not a traceback after training, and leaves no half-written output.
"""

from __future__ import annotations

import importlib.util
import sys

from chainrule.cli.errors import UsageError

# Each module by its package's name and what the commands use it for.
PACKAGES = {
    "safetensors": "safetensors (saving and loading the model)",
    "sklearn": "scikit-learn (the built-in datasets)",
    "matplotlib": "matplotlib (the plots)",
    "tqdm": "tqdm (the progress bars; or pass --no-progress)",
    "networkx": "networkx (drawing without Graphviz)",
}
INSTALL = "pip install 'chainrule[train]'"


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it."""
    # NOTE: a None entry in sys.modules makes an import fail, as a module
    # that is not installed does (and find_spec raises on it).
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(*modules: str, alternative: str = "") -> None:
    """Refuse to start unless every module is installed; names those that are not.

    ``alternative``: another way out, added to the message (``"or ..."``).
    """
    missing = [PACKAGES[module] for module in modules if not installed(module)]
    if not missing:
        return
    needs = missing[-1]
    if len(missing) > 1:
        needs = f"{', '.join(missing[:-1])} and {needs}"
    remedy = INSTALL + (f" ({alternative})" if alternative else "")
    raise UsageError(f"this command needs {needs}: {remedy}")
