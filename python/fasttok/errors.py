"""The exceptions fasttok raises.

Every error from the Rust core is a :class:`FasttokError`. The subclasses also
derive from the built-in exception a caller would naturally catch, so code
written for ``tokenizers`` (which raises plain ``Exception``) keeps working.
"""

from __future__ import annotations


class FasttokError(Exception):
    """Base class of every fasttok error."""


class ConfigError(FasttokError, ValueError):
    """A tokenizer.json or component that is malformed or unsupported.

    The message names the file and the JSON field at fault.
    """


class InputError(FasttokError, ValueError):
    """An input that cannot be processed: an unknown id, a lone surrogate,
    a truncation that cannot be satisfied, ..."""


class FileError(FasttokError, OSError):
    """A file that cannot be read or written."""


class FileNotFound(FileError, FileNotFoundError):
    """A file that does not exist."""


__all__ = ["FasttokError", "ConfigError", "InputError", "FileError", "FileNotFound"]
