"""The version of this pyhelm (one place; ``pyhelm.__version__`` re-exports it)."""

__version__ = "0.1.0"
