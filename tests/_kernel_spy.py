"""A stand-in for one of the compiled epoch modules that counts the epochs it ran.

Shared by the tests of the compiled epochs (tests/test_single_layer_kernel.py,
tests/test_layered_kernel.py): they check that a fit went through the
kernel, or kept out of it, by the number of calls.
"""

import sknn_basic._network as network


class KernelSpy:
    """Counts the calls of ``module.function``, forwarding every call to it."""

    def __init__(self, module, function):
        self.calls = 0
        self._module = module
        epoch = getattr(module, function)

        def counted(*args):
            self.calls += 1
            return epoch(*args)

        setattr(self, function, counted)

    def __getattr__(self, name):
        return getattr(self._module, name)


def spy_on(monkeypatch, attribute, module, function):
    """Put a :class:`KernelSpy` of ``module.function`` in ``sknn_basic._network.<attribute>``."""
    spy = KernelSpy(module, function)
    monkeypatch.setattr(network, attribute, spy)
    return spy
