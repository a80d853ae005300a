"""The loader (ruamel's composer and a walk of its nodes) against ruamel's own loader: same
data, same positions, same errors; and what it refuses, worded and located."""

from __future__ import annotations

import datetime
import io
import math
import warnings
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import ReusedAnchorWarning
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from domogov.config import loader
from domogov.config.loader import MAX_ALIAS_VALUES, SourceFile, read_file
from domogov.config.sourcemap import DataPath

MERGE = "tag:yaml.org,2002:merge"
Loaded = tuple[Any, list[str], dict[DataPath, tuple[int, int]], dict[DataPath, tuple[int, int]]]


def load(tmp_path: Path, text: str | bytes) -> Loaded:
    """Data, issues ("L:C path: message"), value positions and key positions of one file."""
    path = tmp_path / "f.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    sf = SourceFile(path, "f.yaml", "f.yaml", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = read_file(sf)
    assert [str(w.message) for w in caught] == []  # ruamel's warnings became issues
    issues = [str(i).removeprefix("f.yaml:") for i in found]
    return sf.data, sorted(issues), dict(sf.source.values), dict(sf.source.keys)


@pytest.fixture(params=["libyaml", "pure"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's composer (ruamel.yaml.clib), then with only the pure one."""
    if request.param == "pure":
        monkeypatch.setattr(loader, "LIBYAML", False)
    return str(request.param)


# --- the reference: ruamel's loader, and positions read off ruamel's node graph -----------


def ruamel_data(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


def node_positions(text: str) -> tuple[dict[DataPath, tuple[int, int]], ...]:
    """Positions as a walk of ruamel's composed node graph gives them: every value at its
    node (an alias at its anchor's), every key at its key node, merged keys at the merged
    mapping's nodes unless the merging mapping writes the key itself."""
    values: dict[DataPath, tuple[int, int]] = {}
    keys: dict[DataPath, tuple[int, int]] = {}

    def at(node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def walk(node: Node, path: DataPath, vals: dict, ks: dict) -> set[str]:
        vals[path] = at(node)
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), vals, ks)
            return set()
        if not isinstance(node, MappingNode):
            return set()
        written: set[str] = set()
        merges = []
        for key, value in node.value:
            if key.tag == MERGE:
                merges.append(value)
                continue
            written.add(key.value)
            ks[(*path, key.value)] = at(key)
            walk(value, (*path, key.value), vals, ks)
        for merge in merges:
            for src in merge.value if isinstance(merge, SequenceNode) else [merge]:
                sub_vals: dict = {}
                sub_keys: dict = {}
                added = walk(src, path, sub_vals, sub_keys) - written
                written |= added
                for table, into in ((sub_vals, vals), (sub_keys, ks)):
                    for p, pos in table.items():
                        if len(p) > len(path) and p[len(path)] in added:
                            into[p] = pos
        return written

    root = YAML(typ="safe", pure=True).compose(io.StringIO(text))
    if root is not None:
        walk(root, (), values, keys)
    return values, keys


def same(ours: Any, theirs: Any) -> bool:
    """Equal values of equal types; a timestamp stays the text written (ruamel reads it).
    Key order aside: ruamel puts merged keys first, domogov keys written in the mapping."""
    if isinstance(theirs, dict):
        return (
            isinstance(ours, dict)
            and sorted(ours) == sorted(str(k) for k in theirs)
            and all(same(ours[str(k)], v) for k, v in theirs.items())
        )
    if isinstance(theirs, list):
        return (
            isinstance(ours, list)
            and len(ours) == len(theirs)
            and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    if isinstance(theirs, datetime.date):
        return isinstance(ours, str) and ruamel_data(f"x: {ours}")["x"] == theirs
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return type(ours) is type(theirs) and ours == theirs


def assert_like_ruamel(tmp_path: Path, text: str) -> None:
    data, issues, values, keys = load(tmp_path, text)
    assert issues == []
    expected = ruamel_data(text)
    assert same(data, expected), (data, expected)
    assert (values, keys) == node_positions(text)


CORE_SCHEMA = """\
nulls: [~, null, Null, NULL, '', "null", nUll]
empty:
bools: [true, True, TRUE, false, False, FALSE, tRue]
yaml11_words: [yes, no, on, off, y, n, Yes, OFF]
ints: [0, 7, -3, +3, 012, 0o17, 0x1F, 0b101, 1_000, -0o7, 00]
floats: [1.5, 1e3, 1E3, -.5, +.5, 1., .inf, -.inf, +.inf, .Inf, 1_0.5, .5e+3, 6.02e23]
not_numbers: [12abc, 1e, e3, 1.2.3, 0x1G, ._5x]
times: [08:00, '08:00', 12:30:45, 1:00]
dates: [2024-01-02, 2024-01-02T10:00:00Z, 2024-01-02 10:00:00, 2024-1-2 1:00:00]
"""

TAGGED = """\
s: !!str 12
i: !!int "12"
hex: !!int '0x1F'
f: !!float 1
b: !!bool yes
n: !!null ''
t: !!timestamp 2024-01-02
non_specific_plain: ! 12
non_specific_quoted: ! '12'
non_specific_text: ! abc
map: !!map {a: 1}
seq: !!seq [1]
"""

STRINGS = """\
plain: some text here
single: 'it''s'
double: "tab\\there \\u00e9"
literal: |
  line one
  line two
folded: >
  folded
  text
strip: |-
  12
keep: |+
  x

quoted_number: '12'
quoted_bool: "true"
unicode: café 日本 ü
日本: key
'quoted key': 1
"<<": not a merge
"""

ANCHORS = """\
x-base: &base {type: closed, description: Team, nested: {a: 1, b: [1, 2]}}
x-list: &list [a, b]
x-scalar: &scalar 42
plain: *scalar
copies: [*list, *list, *base]
merged:
  <<: *base
  type: open
merged_late:
  type: open
  <<: *base
merged_many:
  <<: [*base, {extra: 1, type: first}]
  own: 2
inline:
  <<: {a: 1, b: 2}
  a: 3
nested_anchor:
  outer: &outer
    inner: &inner [1, 2]
  again: *inner
  whole: *outer
"""

NESTED = """\
groups:
  - name: Finance Analysts
    members: [alice@acme.example, bob@acme.example]
    owners:
      - carol@acme.example
  - {name: B, type: open, id: 1001}
deep: [[[[[1]]]], {a: {b: {c: [x, {d: e}]}}}]
empty_flow: {a: [], b: {}}
"""


@pytest.mark.parametrize(
    "text", [CORE_SCHEMA, TAGGED, STRINGS, ANCHORS, NESTED], ids=lambda t: t.split(":")[0]
)
def test_data_and_positions_are_ruamels(tmp_path: Path, parser: str, text: str) -> None:
    assert_like_ruamel(tmp_path, text)


def test_the_core_schema_values_come_out_as_ruamel_reads_them(tmp_path: Path) -> None:
    data = load(tmp_path, CORE_SCHEMA)[0]
    assert data["nulls"] == [None, None, None, None, "", "null", "nUll"]
    assert data["empty"] is None
    assert data["bools"] == [True, True, True, False, False, False, "tRue"]
    assert data["yaml11_words"] == ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"]
    assert data["ints"] == [0, 7, -3, 3, 12, 15, 31, 5, 1000, -7, 0]
    assert all(type(i) is int for i in data["ints"])
    assert data["floats"][:5] == [1.5, 1000.0, 1000.0, -0.5, 0.5]
    assert data["floats"][6:9] == [math.inf, -math.inf, math.inf]
    assert data["not_numbers"] == ["12abc", "1e", "e3", "1.2.3", "0x1G", "._5x"]
    assert data["times"] == ["08:00", "08:00", "12:30:45", "1:00"]
    assert data["dates"][0] == "2024-01-02"  # a date-like name stays the text written


def test_tags_follow_ruamel(tmp_path: Path) -> None:
    data = load(tmp_path, TAGGED)[0]
    assert data["s"] == "12"
    assert (data["i"], data["hex"], data["f"], data["b"], data["n"]) == (12, 31, 1.0, True, None)
    assert data["t"] == "2024-01-02"
    # `!` only stops a tag from being guessed from the style; ruamel resolves the text.
    assert (data["non_specific_plain"], data["non_specific_quoted"]) == (12, 12)
    assert data["non_specific_text"] == "abc"


def test_keys_are_taken_as_written(tmp_path: Path, parser: str) -> None:
    text = "1: a\ntrue: b\nnull: c\n~: d\n1.5: e\n0x1F: f\n!!int 7: g\n'<<': h\n"
    data, issues, _, keys = load(tmp_path, text)
    assert issues == []
    assert list(data) == ["1", "true", "null", "~", "1.5", "0x1F", "7", "<<"]
    assert keys[("0x1F",)] == (6, 1)


def test_an_alias_repeats_its_anchor_value_and_positions(tmp_path: Path, parser: str) -> None:
    data, issues, values, keys = load(tmp_path, "a: &x {b: [1, 2]}\nc: *x\n")
    assert issues == []
    assert data == {"a": {"b": [1, 2]}, "c": {"b": [1, 2]}}
    assert values[("c",)] == values[("a",)] == (1, 4)
    assert values[("c", "b", 1)] == values[("a", "b", 1)] == (1, 15)
    assert keys[("c", "b")] == keys[("a", "b")] == (1, 8)


def test_an_anchored_scalar_can_be_a_key(tmp_path: Path, parser: str) -> None:
    data, issues, values, keys = load(tmp_path, "a: &k name\n*k : v\n")
    assert issues == []
    assert data == {"a": "name", "name": "v"}
    assert keys[("name",)] == (1, 4)  # where the anchored text is written
    assert values[("name",)] == (2, 6)


def test_merged_values_keep_the_positions_they_came_from(tmp_path: Path, parser: str) -> None:
    text = "d: &d {t: 1, u: {v: 2}}\ng:\n  t: 3\n  <<: *d\n"
    data, issues, values, keys = load(tmp_path, text)
    assert issues == []
    assert data["g"] == {"t": 3, "u": {"v": 2}}
    assert list(data["g"]) == ["t", "u"]  # keys written in the mapping first
    assert (values[("g", "t")], keys[("g", "t")]) == ((3, 6), (3, 3))
    assert (values[("g", "u", "v")], keys[("g", "u")]) == ((1, 21), (1, 14))


def test_a_reused_anchor_name_is_a_located_issue(tmp_path: Path, parser: str) -> None:
    # libyaml refuses a second anchor of one name; ruamel's pure composer only warns (and
    # lets the later one win), which is what the data shows: the warning becomes the issue.
    data, issues, _, _ = load(tmp_path, "a: &x 1\nb: &x 2\nc: *x\nd: &x 3\n")
    assert data == {"a": 1, "b": 2, "c": 2, "d": 3}
    assert issues == [
        "2:4: anchor '&x' defined again (also at line 1, column 4); give each anchor its own name",
        "4:4: anchor '&x' defined again (also at line 2, column 4); give each anchor its own name",
    ]


def test_a_reused_anchor_name_before_a_syntax_error_is_shown(tmp_path: Path) -> None:
    # No graph to locate the reuse in: ruamel's own warning is shown, not dropped.
    path = tmp_path / "f.yaml"
    path.write_text("a: &x 1\nb: &x 2\nc: [\n")
    with pytest.warns(ReusedAnchorWarning, match="found duplicate anchor 'x'"):
        issues = read_file(SourceFile(path, "f.yaml", "f.yaml", False))
    assert [i.message for i in issues] == [
        "invalid YAML: expected the node content, but found '<stream end>' (while parsing a "
        "flow node)"
    ]


def test_other_warnings_are_shown_again(tmp_path: Path) -> None:
    warned = warnings.WarningMessage(UserWarning("not ruamel's"), UserWarning, "x.py", 1)
    with pytest.warns(UserWarning, match="not ruamel's"):
        assert loader._warning_issues("f.yaml", [warned], None) == []


def test_what_libyaml_refuses_the_pure_parser_reads(tmp_path: Path) -> None:
    assert load(tmp_path, "at: {time: 08:00}\n")[:2] == ({"at": {"time": "08:00"}}, [])


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_file_has_no_data_and_no_issue(tmp_path: Path, text: str) -> None:
    assert load(tmp_path, text) == (None, [], {}, {})


def test_a_document_of_nothing_is_null(tmp_path: Path, parser: str) -> None:
    assert load(tmp_path, "---\n")[:3] == (None, [], {(): (2, 1)})


# --- what the loader refuses: exact message and position ----------------------------------

DEPTH = loader.MAX_DEPTH
ERRORS = {
    "undefined alias": (
        "a: &x 1\nb: *y\n",
        ["2:4: invalid YAML: found undefined alias 'y'"],
    ),
    "undefined alias after a refusal": (
        "a: !!int x\nb: *y\n",
        ["2:4: invalid YAML: found undefined alias 'y'"],
    ),
    "two documents": (
        "a: 1\n---\nb: 2\n",
        ["2:1: invalid YAML: a file holds one YAML document; remove the '---' that starts another"],
    ),
    "two documents after an end marker": (
        "a: 1\n...\nb: 2\n",
        ["3:1: invalid YAML: a file holds one YAML document; remove the '---' that starts another"],
    ),
    "syntax error": (
        "a: [1, 2\n",
        [
            "2:1: invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow "
            "sequence at line 1)"
        ],
    ),
    "duplicate key": (
        "a: 1\nb: 2\na: 3\n",
        ["3:1: a: duplicate key 'a'; first defined at line 1, column 1"],
    ),
    "collection as a key": (
        "{a: 1}: 2\nb: 3\n",
        ["1:1: a mapping key must be a plain value"],
    ),
    "merge of a scalar": (
        "g:\n  <<: 1\n  a: 2\n",
        ["2:7: g: '<<' must merge a mapping or a list of mappings"],
    ),
    "merge of a list holding a scalar": (
        "d: &d {a: 1}\ng:\n  <<: [*d, 5]\n",
        ["3:7: g: '<<' must merge a mapping or a list of mappings"],
    ),
    "unsupported scalar tag": (
        "a: !!python/object:os.system ls\n",
        ["1:4: a: unsupported YAML tag '!!python/object:os.system'"],
    ),
    "unsupported local tag": ("a: !foo x\n", ["1:4: a: unsupported YAML tag '!foo'"]),
    "value tag from a plain scalar": ("a: =\n", ["1:4: a: unsupported YAML tag '!!value'"]),
    "unsupported collection tag": ("a: !!set {b: 1}\n", ["1:4: a: unsupported YAML tag '!!set'"]),
    "tag and text disagree": ("a: !!int abc\n", ["1:4: a: cannot read 'abc' as int"]),
    "alias to itself": (
        "groups: &g [*g]\n",
        ["1:9: groups[0]: an alias refers to itself (recursive structure)"],
    ),
    "mapping containing itself": (
        "groups:\n  - &g {name: X, members: *g}\n",
        ["2:5: groups[0].members: an alias refers to itself (recursive structure)"],
    ),
    "merge of itself": (
        "g: &g {a: 1, <<: *g}\n",
        ["1:4: g: an alias refers to itself (recursive structure)"],
    ),
    "nesting in flow": (
        "b: " + "[" * DEPTH + "x" + "]" * DEPTH + "\n",
        [f"1:{4 + DEPTH}: b[0][0][0]...: nesting deeper than {DEPTH} levels"],
    ),
    "nesting through an alias": (
        "a: &a [[[[[x]]]]]\nb: " + "[" * (DEPTH - 3) + "*a" + "]" * (DEPTH - 3) + "\n",
        [f"1:10: b[0][0][0]...: nesting deeper than {DEPTH} levels"],  # the third `[`
    ),
}


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_refusals_are_worded_and_located_as_before(tmp_path: Path, parser: str, case: str) -> None:
    text, expected = ERRORS[case]
    data, issues, _, _ = load(tmp_path, text)
    assert issues == expected
    if any("invalid YAML" in i for i in expected):
        assert data is None


def test_an_int_longer_than_python_converts_is_refused(tmp_path: Path, parser: str) -> None:
    digits = "1" * 5000
    data, issues, _, _ = load(tmp_path, f"a: {digits}\n")
    assert data is None
    assert issues == [f"1:4: a: cannot read '{digits}' as int"]


def test_issues_that_do_not_stop_reading_keep_the_data(tmp_path: Path) -> None:
    data, issues, _, _ = load(tmp_path, "a: 1\na: 2\n{k: v}: 3\nb: 4\n")
    assert data == {"a": 1, "b": 4}
    assert len(issues) == 2


def test_an_anchored_value_repeats_its_issues_at_each_alias(tmp_path: Path, parser: str) -> None:
    _, issues, _, _ = load(tmp_path, "- &a {k: 1, k: 2}\n- *a\n")
    assert issues == [
        "1:13: [0].k: duplicate key 'k'; first defined at line 1, column 7",
        "1:13: [1].k: duplicate key 'k'; first defined at line 1, column 7",
    ]


def test_alias_expansion_stops_at_the_value_past_the_cap(tmp_path: Path, parser: str) -> None:
    # Each `*a` adds the list and its 100 items: the 100th alias crosses the cap at its
    # first item, which is written at line 1, column 8.
    items = ", ".join(["x"] * 100)
    text = f"a: &a [{items}]\nb: [{', '.join(['*a'] * 100)}]\n"
    assert (101 * 99) <= MAX_ALIAS_VALUES < 101 * 100
    data, issues, _, _ = load(tmp_path, text)
    assert data is None
    assert issues == [
        f"1:8: b[99][0]: aliases expand to more than {MAX_ALIAS_VALUES} values; refusing to expand"
    ]


def test_deep_block_nesting_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    # Deep enough to exhaust ruamel's recursive pure composer, shallow enough for the line
    # check; the syntax error on line 2 sends it to the pure composer, which stops at its
    # own depth limit (the 257th level) instead of recursing on.
    text = "- " * 500 + "x\nb: {c: 08:00}\n"
    data, issues, _, _ = load(tmp_path, text)
    assert data is None
    assert issues == [f"1:513: nesting deeper than {DEPTH} levels"]


def test_deep_indentation_is_refused_by_either_composer(tmp_path: Path, parser: str) -> None:
    # One more space a level: no line is long, and libyaml composes all 300 levels.
    text = "".join(" " * i + "k:\n" for i in range(300)) + " " * 300 + "x\n"
    data, issues, _, _ = load(tmp_path, text)
    assert data is None
    if parser == "libyaml":  # the walk refuses the first value past MAX_DEPTH
        assert issues == [f"66:66: k.k.k.k...: nesting deeper than {DEPTH} levels"]
    else:  # ruamel's pure composer stops at its own limit first
        assert issues == [f"256:256: nesting deeper than {DEPTH} levels"]  # a key, 257 deep


def test_a_chain_of_merges(tmp_path: Path, parser: str) -> None:
    # Each mapping merges the one before: building the last walks them all again, each on
    # top of the one merging it (at the same path), and counts them against the alias cap.
    lines = ["m0: &m0 {k0: 0}"]
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(1, 60)]
    data, issues, values, keys = load(tmp_path, "\n".join(lines) + "\n")
    assert issues == []
    assert data["m59"] == {f"k{i}": i for i in range(60)}
    assert list(data["m59"])[:2] == ["k59", "k58"]  # written first, then the nearest merge
    assert (values[("m59", "k0")], keys[("m59", "k0")]) == ((1, 14), (1, 10))
    # Building m1 ... m100 walks 2 + 4 + ... + 200 values again (each merged mapping and its
    # key): the 10,001st is m49's mapping (line 50), reached from m100 through m99 ... m50.
    lines += [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(60, 120)]
    assert load(tmp_path, "\n".join(lines) + "\n")[1] == [
        f"50:6: m100: aliases expand to more than {MAX_ALIAS_VALUES} values; refusing to expand"
    ]


def test_yaml_1_1_is_honoured_when_the_file_says_so(tmp_path: Path, parser: str) -> None:
    text = "%YAML 1.1\n---\na: yes\nb: 012\nc: 1:30\nd: 0o12\n"
    assert load(tmp_path, text)[:2] == ({"a": True, "b": 10, "c": 90, "d": "0o12"}, [])
    text = "%YAML 1.2\n---\na: yes\nb: 012\nc: 1:30\nd: 0o12\n"
    assert load(tmp_path, text)[:2] == ({"a": "yes", "b": 12, "c": "1:30", "d": 10}, [])


def test_a_yaml_1_1_float_without_a_dot_is_a_located_issue(tmp_path: Path) -> None:
    # ruamel reads it, with a warning telling to fix the float or silence the warning in
    # code: here it says where, and how to fix the file.
    data, issues, _, _ = load(tmp_path, "%YAML 1.1\n---\na: 1e3\nb: !!float 2E+5\nc: 1.0e3\n")
    assert data == {"a": 1000.0, "b": 200000.0, "c": 1000.0}
    assert issues == [
        "3:4: '1e3' is no float in YAML 1.1 without a dot in its mantissa; write 1.0e3, or "
        "leave out the %YAML 1.1 line",
        "4:4: '2E+5' is no float in YAML 1.1 without a dot in its mantissa; write 2.0E+5, or "
        "leave out the %YAML 1.1 line",
    ]


# --- a property: generated documents load as ruamel loads them -----------------------------

SCALARS = st.sampled_from(
    [
        *("a", "x y", "1", "-3", "0o7", "0x1f", "1_0", "1e3", ".inf", "-.5", "true", "False"),
        *("yes", "~", "null", "''", "08:00", "2024-01-02", "'q'", '"d"', "!!str 1", "é"),
        "!!int '2'",
    ]
)
KEYS = st.sampled_from(["a", "b", "c", "name", "<<", "<<"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Block and flow YAML with anchors, aliases and merge keys, as ruamel accepts it: no
    duplicate keys, `<<` merging mappings only, an alias only after its anchored node."""
    anchors: dict[str, bool] = {}  # name → anchors a mapping

    def anchored(text: str, is_mapping: bool, always: bool = False) -> str:
        if not always and draw(st.integers(0, 2 if is_mapping else 3)):
            return text
        name = f"a{len(anchors)}"
        anchors[name] = is_mapping  # after its children: an alias to it is never a cycle
        return f"&{name} {text}"

    def mapping(depth: int, anchor: bool = False) -> str:
        pairs = []
        for key in draw(st.lists(KEYS, unique=True, max_size=4)):
            if key != "<<":
                pairs.append(f"{key}: {node(depth + 1)}")
            elif mappings := [f"*{name}" for name, is_map in anchors.items() if is_map]:
                many = draw(st.lists(st.sampled_from(mappings), min_size=1, max_size=2))
                pairs.append(f"<<: [{', '.join(many)}]" if len(many) > 1 else f"<<: {many[0]}")
        return anchored("{" + ", ".join(pairs) + "}", True, anchor)

    def node(depth: int) -> str:
        choice = draw(st.integers(0, 9 if depth < 3 else 5))
        if choice <= 4:
            return anchored(draw(SCALARS), False)
        if choice == 5 and anchors:
            return "*" + draw(st.sampled_from(sorted(anchors)))
        if choice <= 7:
            items = [node(depth + 1) for _ in range(draw(st.integers(0, 3)))]
            return anchored("[" + ", ".join(items) + "]", False)
        return mapping(depth)

    base = f"x-base: {mapping(1, anchor=True)}\n" if draw(st.booleans()) else ""
    keys = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), unique=True, min_size=1))
    return base + "".join(f"{key}: {node(0)}\n" for key in keys)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents())
def test_generated_documents_load_as_ruamel_loads_them(tmp_path_factory, text: str) -> None:
    expected = ruamel_data(text)
    tmp_path = tmp_path_factory.mktemp("gen")
    data, issues, values, keys = load(tmp_path, text)
    assert issues == []
    assert same(data, expected), (data, expected)
    assert (values, keys) == node_positions(text)
    with patch.object(loader, "LIBYAML", False):  # the pure composer's graph builds the same
        assert load(tmp_path, text) == (data, issues, values, keys)


@pytest.mark.parametrize("version", ["1.0", "1.3", "1.9"])
def test_an_unsupported_yaml_version_is_a_located_error(tmp_path: Path, version: str) -> None:
    # ruamel asserts on these (an AssertionError, once shown as an internal error).
    data, issues, _, _ = load(tmp_path, f"# header\n%YAML {version}\n---\ngroups: []\n")
    assert data is None
    assert issues == [
        "2:1: invalid YAML: unsupported %YAML version; use %YAML 1.2 or leave the line out"
    ]
