"""The error tree: every class is a PyhelmError and carries an exit code."""

import pyhelm
from pyhelm import errors


def test_every_error_is_a_pyhelm_error() -> None:
    for name in dir(errors):
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, errors.PyhelmError)
            assert value.exit_code in (1, 2)


def test_public_api_is_lazy_and_complete() -> None:
    for name in pyhelm.__all__:
        assert getattr(pyhelm, name) is not None
