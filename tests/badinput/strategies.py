"""Hypothesis settings and strategies for hostile input: any text, odd characters, objects."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Enough examples to find the odd input, few enough that the suite stays quick; no example
# database in the project tree.
PROPERTY = settings(
    max_examples=int(os.environ.get("BADINPUT_EXAMPLES", 150)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Those that write to the database (each example in a savepoint that is rolled back).
DB_PROPERTY = settings(PROPERTY, max_examples=40)

# Characters that break naive parsers: NUL and other controls, separators, quotes, a lone
# surrogate, non-ASCII digits ("²" passes str.isdigit() but not int()), fullwidth and Thai
# digits, RTL marks, a BOM.
AWKWARD = [
    "\x00",
    "\x01",
    "\t",
    "\r",
    "\n",
    "\x0b",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\ud800",
    "\ufeff",
    "\u200f",
    ",",
    ";",
    '"',
    "'",
    "%",
    "/",
    "\\",
    ":",
    ".",
    "-",
    "+",
    "@",
    "=",
    "#",
    " ",
    "²",
    "\u0661",  # ARABIC-INDIC DIGIT ONE
    "๑",
    "\uff11",  # FULLWIDTH DIGIT ONE
    "Ⅻ",
    "e",
]

any_text = st.text(max_size=80)
awkward_text = st.text(
    st.one_of(
        st.sampled_from(AWKWARD), st.characters(codec="utf-8"), st.sampled_from("0123456789")
    ),
    max_size=60,
)
long_text = st.builds(
    lambda c, n: c * n, st.sampled_from(["9", "a", "é", "\x00", ","]), st.integers(250, 5000)
)
hostile_text = st.one_of(any_text, awkward_text, long_text)
odd_objects = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**130),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
anything = st.one_of(hostile_text, odd_objects)
