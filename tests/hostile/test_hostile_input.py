"""Hostile and broken manifests: a located error, exit 1, no traceback, zero API requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostilekit import assert_clean_failure, run, served_sim, sim_stats, text_of

CORPUS = Path(__file__).parent / "corpus"
_EXPECT = re.compile(r"# expect: (?P<loc>\S+) (?P<message>.+)")


@dataclass(frozen=True)
class Case:
    """One hostile input: how to lay it out in a directory, and the error it must give."""

    cls: str
    name: str
    build: Callable[[Path], None]
    file: str  # the file the error names, relative to the configuration directory
    loc: str  # "L:C", "L:" (any column) or "-" (the file itself, no line)
    message: str

    @property
    def id(self) -> str:
        return f"{self.cls}/{self.name}"


def _committed() -> list[Case]:
    """The small text cases under corpus/<class>/<name>.yaml, each with an expect: header."""
    cases = []
    for path in sorted(CORPUS.glob("*/*.yaml")):
        match = _EXPECT.match(path.read_text(encoding="utf-8").splitlines()[0])
        assert match, f"{path}: first line must be '# expect: LOC MESSAGE'"
        target = "domogov.yaml" if path.parent.name == "project" else f"{path.stem}.yaml"

        def build(root: Path, src: Path = path, target: str = target) -> None:
            (root / target).write_bytes(src.read_bytes())

        cases.append(
            Case(path.parent.name, path.stem, build, target, match["loc"], match["message"])
        )
    return cases


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        (root / name).write_bytes(data)

    return build


def _fifty_mb(root: Path) -> None:
    line = b"  - {name: Group, members: [bob@example.com]}\n"
    with (root / "huge.yaml").open("wb") as fh:
        fh.write(b"groups:\n")
        fh.write(line * (50 * 1024 * 1024 // len(line) + 1))


def _sparse_fifty_mb(root: Path) -> None:
    with (root / "sparse.yaml").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # a hole: 50 MB of NUL bytes that take no disk


def _outside(tmp: Path) -> Path:
    """A directory beside the configuration directory, holding a valid manifest."""
    out = tmp.parent / f"{tmp.name}-outside"
    out.mkdir(exist_ok=True)
    (out / "secret.yaml").write_text("groups:\n  - name: Admins\n    members: []\n")
    return out


def _link(name: str, target: Callable[[Path], str | Path]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(root), path)

    return build


def _two_link_loop(root: Path) -> None:
    os.symlink(root / "b.yaml", root / "a.yaml")
    os.symlink(root / "a.yaml", root / "b.yaml")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "pipe.yaml")


def _fifo_behind_link(root: Path) -> None:
    os.mkfifo(root / "pipe")
    os.symlink(root / "pipe", root / "groups.yaml")


BINARY = bytes(range(256)) * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(128, 256))
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8)  # ASCII: the YAML reader refuses it
UTF8_MSG = "not valid UTF-8"

GENERATED = [
    Case("size", "fifty_mb", _fifty_mb, "huge.yaml", "-", "file is larger than 10 MB (50.0 MB)"),
    Case("size", "sparse_fifty_mb", _sparse_fifty_mb, "sparse.yaml", "-", "larger than 10 MB"),
    Case("binary", "all_bytes", _write("blob.yaml", BINARY), "blob.yaml", "2:", UTF8_MSG),
    Case("binary", "png", _write("logo.yaml", PNG), "logo.yaml", "1:1", UTF8_MSG),
    Case("binary", "gzip", _write("groups.yml", GZIP), "groups.yml", "1:2", UTF8_MSG),
    Case("binary", "elf", _write("tool.yaml", ELF), "tool.yaml", "1:1", "character U+007F"),
    Case(
        "binary",
        "nul_bytes",
        _write("g.yaml", b"groups:\n  - name: X\x00\x00\n"),
        "g.yaml",
        "2:12",
        "character U+0000 is not allowed",
    ),
    Case(
        "utf8",
        "latin1",
        _write("g.yaml", "groups:\n  - name: Café\n".encode("latin-1")),
        "g.yaml",
        "2:14",
        "not valid UTF-8 (byte 0xe9)",
    ),
    Case(
        "utf8",
        "utf16_bom",
        _write("g.yaml", "groups: []\n".encode("utf-16")),
        "g.yaml",
        "1:1",
        "not valid UTF-8 (byte 0xff)",
    ),
    Case(
        "utf8",
        "lone_continuation",
        _write("g.yaml", b"groups:\n  - name: a\x80b\n"),
        "g.yaml",
        "2:12",
        "not valid UTF-8 (byte 0x80)",
    ),
    Case(
        "utf8",
        "overlong_slash",
        _write("g.yaml", b"groups:\n  - name: a\xc0\xafb\n"),
        "g.yaml",
        "2:12",
        "not valid UTF-8 (byte 0xc0)",
    ),
    Case(
        "utf8",
        "encoded_surrogate",
        _write("g.yaml", b"groups:\n  - name: a\xed\xa0\x80\n"),
        "g.yaml",
        "2:12",
        "not valid UTF-8 (byte 0xed)",
    ),
    Case(
        "utf8",
        "truncated_sequence",
        _write("g.yaml", b"groups:\n  - name: caf\xc3"),
        "g.yaml",
        "2:14",
        "not valid UTF-8 (byte 0xc3)",
    ),
    Case(
        "utf8",
        "in_project_file",
        _write("domogov.yaml", b"instance: acm\xe9\n"),
        "domogov.yaml",
        "1:14",
        "not valid UTF-8",
    ),
    Case(
        "symlinks",
        "file_outside",
        _link("link.yaml", lambda r: _outside(r) / "secret.yaml"),
        "link.yaml",
        "-",
        "symlink leads outside the configuration directory",
    ),
    Case(
        "symlinks",
        "dir_outside",
        _link("shared", _outside),
        "shared",
        "-",
        "symlink leads outside the configuration directory",
    ),
    Case(
        "symlinks",
        "nested_dir_outside",
        _link("teams/finance/more", _outside),
        "teams/finance/more",
        "-",
        "symlink leads outside the configuration directory",
    ),
    Case(
        "symlinks",
        "absolute_etc_passwd",
        _link("passwd.yaml", lambda r: "/etc/passwd"),
        "passwd.yaml",
        "-",
        "(to /etc/passwd); not followed",
    ),
    Case(
        "symlinks",
        "relative_dotdot",
        _link("up.yaml", lambda r: "../" * 12 + "etc/hostname"),
        "up.yaml",
        "-",
        "(to /etc/hostname); not followed",
    ),
    Case(
        "symlinks",
        "dev_zero",
        _link("zero.yaml", lambda r: "/dev/zero"),
        "zero.yaml",
        "-",
        "(to /dev/zero); not followed",
    ),
    Case(
        "symlinks",
        "proc_environ",
        _link("env.yaml", lambda r: "/proc/self/environ"),
        "env.yaml",
        "-",
        "symlink leads outside the configuration directory",
    ),
    Case(
        "symlinks",
        "broken",
        _link("gone.yaml", lambda r: r / "nowhere.yaml"),
        "gone.yaml",
        "-",
        "broken symlink; not read",
    ),
    Case(
        "symlinks",
        "self_loop",
        _link("loop.yaml", lambda r: r / "loop.yaml"),
        "loop.yaml",
        "-",
        "symlink loop; not read",
    ),
    Case("symlinks", "two_link_loop", _two_link_loop, "a.yaml", "-", "symlink loop; not read"),
    Case(
        "special_files",
        "fifo",
        _fifo,
        "pipe.yaml",
        "-",
        "not a regular file (a pipe, device or socket); not read",
    ),
    Case(
        "special_files",
        "fifo_behind_symlink",
        _fifo_behind_link,
        "groups.yaml",
        "-",
        "not a regular file (a pipe, device or socket); not read",
    ),
]

CASES = _committed() + GENERATED


def _expected(case: Case, root: Path) -> tuple[str, str]:
    """The location prefix the message must carry, and the message text."""
    shown = os.path.normpath(root / case.file)
    if case.loc == "-":
        return f"{shown}: ", case.message
    return f"{shown}:{case.loc}", case.message


def _check_message(case: Case, root: Path, shown: str) -> None:
    where, message = _expected(case, root)
    lines = [line for line in shown.splitlines() if line.startswith(where)]
    assert lines, f"no message located at {where!r}:\n{shown}"
    assert any(message in line for line in lines), f"{message!r} not in:\n{shown}"


@pytest.fixture
def layout(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Case, Path]:
    case: Case = request.param
    root = tmp_path / "cfg"
    root.mkdir()
    case.build(root)
    return case, root


@pytest.mark.timeout(30)
@pytest.mark.parametrize("layout", CASES, ids=[c.id for c in CASES], indirect=True)
def test_validate_and_plan_refuse_with_a_located_error(
    layout: tuple[Case, Path], sim_url: str
) -> None:
    case, root = layout
    checked = assert_clean_failure(run("validate", str(root)))
    _check_message(case, root, checked)
    assert "nothing was sent to Domo" in checked
    planned = assert_clean_failure(run("plan", str(root), "--base-url", sim_url))
    _check_message(case, root, planned)
    assert sim_stats(sim_url)["total"] == 0, "a request reached the API"


def test_the_corpus_covers_every_input_class() -> None:
    counts = Counter(c.cls for c in CASES)
    wanted = {
        "malformed", "types", "unknown_keys", "nesting", "alias_bombs", "size", "binary",
        "utf8", "emails", "names", "ids", "symlinks", "project", "special_files",
    }  # fmt: skip
    assert wanted <= set(counts), f"missing classes: {wanted - set(counts)}"
    assert all(n >= 1 for n in counts.values())
    assert len(CASES) >= 100, counts


def test_a_valid_file_beside_hostile_ones_does_not_hide_their_errors(
    tmp_path: Path, sim_url: str
) -> None:
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "good.yaml").write_text("groups:\n  - name: Finance Analysts\n")
    (root / "bad.yaml").write_bytes(b"groups:\n  - name: caf\xe9\n")
    os.symlink(_outside(tmp_path), root / "shared")
    shown = assert_clean_failure(run("plan", str(root), "--base-url", sim_url))
    assert "2 errors in the manifests; nothing was sent to Domo." in shown
    assert f"{root / 'bad.yaml'}:2:14" in shown and f"{root / 'shared'}: symlink" in shown
    assert sim_stats(sim_url)["total"] == 0


def test_names_with_quotes_and_markup_are_names_not_syntax(tmp_path: Path) -> None:
    """Quotes, backticks, pipes and angle brackets are legal in Domo names: accepted, and
    every view keeps them data (one table row, no broken fence, HTML escaped in summaries)."""
    root = tmp_path / "cfg"
    root.mkdir()
    name = 'O\'Brien "Ops" <b>`x`</b> | a'
    description = "line1\n```\n</details>\n# APPROVED \x1b[2J"
    (root / "g.yaml").write_text(
        "groups:\n"
        f"  - name: {_dq(name)}\n"
        f"    description: {_dq(description)}\n"
        "    members: [bob@example.com]\n"
        "    owners: [ada@example.com]\n",
        encoding="utf-8",
    )
    assert run("validate", str(root)).exit_code == 0
    with served_sim() as url:  # its own: this plan does send requests
        text = run("plan", str(root), "--base-url", url)
        markdown = run("plan", str(root), "--base-url", url, "--markdown").output
    assert text.exit_code == 0, text_of(text)
    assert f"+ group.{name}" in text.output
    assert "\x1b" not in text.output and "\\u001b[2J" in text.output  # no raw escape codes
    lines = markdown.splitlines()
    # The description's "```" and "</details>" stay inside the quoted value: no line of the
    # comment starts a fence, closes the block or makes a heading except domogov's own.
    assert sum(line == "</details>" for line in lines) == 1
    assert sum(line.startswith("```") for line in lines) == 4  # impact block + one change
    assert "&lt;b&gt;" in markdown.split("<summary>", 1)[1].split("</summary>", 1)[0]
    assert not any(line.startswith("# APPROVED") for line in lines)


def _dq(text: str) -> str:
    """A YAML double-quoted scalar."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\x1b", "\\e") + '"'


@pytest.mark.slow  # each parses a line of 100,000 nodes: about half a second
@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "line",
    [
        pytest.param("- " * 100_000 + "x", id="compact_sequences_100k"),
        pytest.param("- !!seq " * 40_000 + "x", id="tagged_compact_sequences"),
        pytest.param("- &a " * 50_000 + "x", id="anchored_compact_sequences"),
        pytest.param("? " * 100_000 + "x", id="compact_complex_keys"),
    ],
)
def test_deep_block_nesting_on_one_line_cannot_crash_the_parser(
    line: str, tmp_path: Path, sim_url: str
) -> None:
    """A 200 KB line of `- - - ...` once took the C parser into a segmentation fault, so
    validate runs in a child process first: a crash is a failed test, not a lost session."""
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "deep.yaml").write_text(f"groups:\n  {line}\n")
    done = subprocess.run(
        [sys.executable, "-m", "domogov", "validate", str(root)], capture_output=True, text=True
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    where = f"{root / 'deep.yaml'}:2:"
    assert where in done.stderr and "nesting deeper than" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    planned = assert_clean_failure(run("plan", str(root), "--base-url", sim_url))
    assert where in planned and "nesting deeper than" in planned
    assert sim_stats(sim_url)["total"] == 0
