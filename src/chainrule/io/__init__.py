"""Saving and loading models and training checkpoints, in files that cannot run code.

Arrays go to safetensors files (raw bytes of numeric dtypes), everything else
to JSON in the file's header; nothing is ever pickled, so loading a file from
anywhere is safe. Files are written atomically and checksummed, and loading
checks everything before it writes anything. Needs the ``safetensors``
package: ``pip install "chainrule[io]"``.

- :func:`save_model` / :func:`load_model`: a model's weights and buffers.
- :func:`save_checkpoint` / :func:`load_checkpoint`: model, optimizer,
  scheduler and metadata, to resume training exactly.
- :func:`save` / :func:`load` (also ``cr.save``/``cr.load``): a state dict,
  for ``model.load_state_dict(cr.load(path))``.

See docs/saving.md for the file layout.
"""

from chainrule.errors import CheckpointError
from chainrule.io.checkpoint import load_checkpoint, save_checkpoint
from chainrule.io.model import load, load_model, save, save_model

__all__ = [
    "CheckpointError",
    "load",
    "load_checkpoint",
    "load_model",
    "save",
    "save_checkpoint",
    "save_model",
]
