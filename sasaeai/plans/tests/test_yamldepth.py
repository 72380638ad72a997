"""The nesting measure is an upper bound of the real depth, whatever the YAML looks like."""

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sasaeai.plans.yamldepth import find_too_deep


def real_depth(text: str) -> int:
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return deepest


def measured(text: str) -> int:
    """The smallest limit the measure accepts."""
    limit = 0
    while find_too_deep(text, limit) is not None:
        limit += 1
    return limit


scalars = st.one_of(
    st.text(alphabet="ab[]{}#:'\"- |>\n計画", max_size=8),
    st.integers(),
    st.booleans(),
    st.none(),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("abc[:# ", min_size=1, max_size=3), children, max_size=3)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True, False]), st.integers(min_value=2, max_value=6))
def test_the_measure_never_counts_less_than_the_parser(document, flow_style, indent):
    text = yaml.safe_dump(document, default_flow_style=flow_style, indent=indent, allow_unicode=True)
    assert measured(text) >= real_depth(text)


def test_deep_brackets_are_found_on_their_line():
    text = "title: 計画\nnodes:\n- a: " + "[" * 70 + "]" * 70 + "\n"
    found = find_too_deep(text, 64)
    assert found is not None and found.line == 3


def test_brackets_in_quotes_comments_and_block_text_are_not_nesting():
    text = "a: \"[[[[[[[[\"\nb: '{{{{{{'  # [[[[[[[[\nc: |\n  [[[[[[[[[[\n  {{{{{{{{{{\nd: x\n"
    assert find_too_deep(text, 2) is None
    assert real_depth(text) == 1


def test_block_indentation_counts():
    text = "".join("  " * level + f"k{level}:\n" for level in range(70)) + "  " * 70 + "v: 1\n"
    assert find_too_deep(text, 64) is not None
    assert find_too_deep(text, 80) is None
