"""Compare printed output with a documented snapshot, number by number.

A page or a docstring shows what a command or an example printed on the
machine that wrote it.  Another CPU or BLAS build sums in another order, so
the same computation can print ``0.24000000000000002`` where the page shows
``0.24``, or round an eighth digit the other way.  A snapshot must not depend
on that last digit, so the text around the numbers is compared exactly
(white space folded) and the numbers with a tolerance:

* within ``RTOL`` of each other, relative (the rounding of a few sums), or
* printed to the same number of digits, of which at least ``MIN_DIGITS`` are
  significant, and one unit of the last digit apart (the same value rounded
  the other way at the last printed place).

A number that really changed (a wrong weight, another accuracy) differs by
far more than either, so the comparison still fails where it must.
"""

import doctest
import math
import re

RTOL = 1e-9
MIN_DIGITS = 4

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _places(token):
    """(digits printed after the point, significant digits, power of ten of the exponent)."""
    mantissa, _, exponent = token.lstrip("+-").lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    return len(fraction), len(significant), int(exponent or 0)


def same_number(got, want):
    """Whether two printed numbers are one value, up to the rounding of the last digit."""
    a, b = float(got), float(want)
    if a == b or math.isclose(a, b, rel_tol=RTOL, abs_tol=0.0):
        return True
    got_places, got_digits, got_power = _places(got)
    want_places, want_digits, want_power = _places(want)
    rounded_alike = (got_places, got_power) == (want_places, want_power)
    if not rounded_alike or min(got_digits, want_digits) < MIN_DIGITS:
        return False
    last_place = 10.0 ** (want_power - want_places)
    return abs(a - b) <= 1.000001 * last_place


def same_output(got, want):
    """Whether ``got`` prints what ``want`` shows: the same text, numbers per :func:`same_number`."""
    got_numbers, want_numbers = _NUMBER.findall(got), _NUMBER.findall(want)
    if len(got_numbers) != len(want_numbers):
        return False
    got_text, want_text = "".join(_NUMBER.split(got)), "".join(_NUMBER.split(want))
    if "".join(got_text.split()) != "".join(want_text.split()):
        return False
    return all(same_number(g, w) for g, w in zip(got_numbers, want_numbers))


def assert_same_lines(got_lines, shown_lines):
    """Every printed line is the shown line (see :func:`same_output`)."""
    assert len(got_lines) == len(shown_lines), (got_lines, shown_lines)
    different = [(g, s) for g, s in zip(got_lines, shown_lines) if not same_output(g, s)]
    assert not different, "printed (left) differs from shown (right):\n" + "\n".join(
        f"  {g!r}\n  {s!r}" for g, s in different
    )


class PrintedNumbersChecker(doctest.OutputChecker):
    """doctest's checker, which falls back to :func:`same_output` when the text differs."""

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        return same_output(got, want)
