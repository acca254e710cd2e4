"""Every documentation pointer resolves inside the repository.

A newcomer with a clone must be able to open every document the code cites.
So, over every tracked text file (``git ls-files``):

* a path under ``docs/`` names a file or folder that exists; with ``#anchor``
  the target has a heading with that anchor (GitHub's rule), with a quoted
  title right after it (``docs/x.md, "Title"``) a heading that starts so;
* nothing mentions the design notes that once lived outside the repository;
* relative links in Markdown files lead to files inside the repository, and
  their anchors to headings that exist;
* ``docs/README.md`` lists every document.

A failure names the file, the line and the pointer.
"""
from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

# A docs/ path, not part of a longer path or host name, then an optional anchor.
POINTER = re.compile(r"(?<![\w./-])(docs/[A-Za-z0-9_./-]*)(#[\w-]+)?")
# ``docs/x.md, "Title"``: a section named by its title.
TITLE = re.compile(r'\s*,?\s*"([^"\n]{1,80})"')
# [text](target) in Markdown, outside code.
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")

# Names of the notes that were never part of the repository. Spelled here in
# pieces so that this file does not trip its own check.
OUTSIDE = ("../" + "shared", "shared" + "/reference", "ARCHITECTURE" + ".md",
           "STYLE" + ".md", "sip-" + "feasibility", "driver-" + "anchors",
           "acd-" + "anchors", "reliability-" + "anchors", "aesthetics-" + "anchors",
           "r2-" + "notes")


@lru_cache(maxsize=1)
def tracked_texts() -> tuple[tuple[str, str], ...]:
    """(path, text) of every tracked file that is UTF-8 text."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"tests/test_docs.py needs a git checkout of the repository at {ROOT}: {exc}")
    files = []
    for name in sorted(out.decode().split("\0")):
        path = ROOT / name
        if not name or not path.is_file():      # deleted in the work tree, or a submodule
            continue
        try:
            files.append((name, path.read_text("utf-8")))
        except UnicodeDecodeError:               # binary test data
            continue
    if not any(name == THIS for name, _ in files):
        pytest.fail(f"git ls-files in {ROOT} does not list {THIS}: not the repository's checkout")
    return tuple(files)


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: markup dropped, lower case, punctuation
    removed (letters, digits, ``_``, ``-`` and spaces stay), spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)     # [text](url) -> text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def _outside_code(text: str) -> list[tuple[int, str]]:
    """(line number, line) of a Markdown text, fenced code blocks left out."""
    lines, fenced = [], False
    for no, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((no, line))
    return lines


@lru_cache(maxsize=None)
def headings(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(anchors, titles) of a Markdown file's headings; repeated anchors get -1, -2 ..."""
    anchors: list[str] = []
    titles: list[str] = []
    for _, line in _outside_code(path.read_text("utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        title = m.group(2)
        base = slug(title)
        anchor, n = base, 0
        while anchor in anchors:
            n += 1
            anchor = f"{base}-{n}"
        anchors.append(anchor)
        titles.append(title.replace("`", ""))
    return tuple(anchors), tuple(titles)


def _check_anchor(target: Path, anchor: str, where: str, shown: str) -> list[str]:
    if target.suffix != ".md":
        return [f"{where}: {shown}: an anchor needs a Markdown file"]
    if anchor not in headings(target)[0]:
        return [f"{where}: {shown}: {target.relative_to(ROOT)} has no heading with anchor "
                f"#{anchor}"]
    return []


def pointer_errors(name: str, text: str) -> list[str]:
    """Broken ``docs/`` pointers in one file, as ``file:line: pointer: why``."""
    errors = []
    for no, line in enumerate(text.splitlines(), 1):
        for m in POINTER.finditer(line):
            rel = m.group(1).rstrip(".")
            where, shown = f"{name}:{no}", rel + (m.group(2) or "")
            target = ROOT / rel
            if not target.exists():
                errors.append(f"{where}: {shown}: {rel} does not exist")
                continue
            if m.group(2):
                errors += _check_anchor(target, m.group(2)[1:], where, shown)
                continue
            t = TITLE.match(line, m.end())
            if t and target.suffix == ".md" and not m.group(1).endswith("."):
                title = t.group(1)
                if not any(h.startswith(title) for h in headings(target)[1]):
                    errors.append(f'{where}: {rel}, "{title}": no heading of {rel} starts '
                                  "with that title")
    return errors


def link_errors(name: str, text: str) -> list[str]:
    """Broken relative links of one Markdown file, as ``file:line: target: why``."""
    errors = []
    base = (ROOT / name).parent
    for no, line in _outside_code(text):
        for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            raw = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", raw):       # http:, https:, mailto: ...
                continue
            path_part, _, anchor = raw.partition("#")
            where = f"{name}:{no}"
            target = (base / path_part).resolve() if path_part else (ROOT / name).resolve()
            try:
                target.relative_to(ROOT)
            except ValueError:
                errors.append(f"{where}: {raw}: leads outside the repository")
                continue
            if not target.exists():
                errors.append(f"{where}: {raw}: {target.relative_to(ROOT)} does not exist")
            elif anchor:
                errors += _check_anchor(target, anchor, where, raw)
    return errors


def test_every_docs_path_named_in_the_repository_exists() -> None:
    # This file is left out: its own examples are broken on purpose.
    errors = [e for name, text in tracked_texts() if name != THIS
              for e in pointer_errors(name, text)]
    assert not errors, "broken docs/ pointers:\n" + "\n".join(errors)


def test_nothing_points_at_notes_outside_the_repository() -> None:
    found = [f"{name}:{no}: mentions {word!r}"
             for name, text in tracked_texts() if name != THIS
             for no, line in enumerate(text.splitlines(), 1)
             for word in OUTSIDE if word in line]
    assert not found, ("pointers to documents a clone does not have (write the fact into "
                       "docs/ and point there):\n" + "\n".join(found))


def test_relative_links_in_markdown_resolve() -> None:
    errors = [e for name, text in tracked_texts() if name.endswith(".md")
              for e in link_errors(name, text)]
    assert not errors, "broken Markdown links:\n" + "\n".join(errors)


def test_the_docs_index_lists_every_document() -> None:
    index = (ROOT / "docs" / "README.md").read_text("utf-8")
    linked = {(ROOT / "docs" / m.group(1).partition("#")[0]).resolve()
              for m in LINK.finditer(index)}
    missing = [name for name, _ in tracked_texts()
               if name.startswith("docs/") and name != "docs/README.md"
               and (ROOT / name).resolve() not in linked]
    assert not missing, "docs/README.md does not link to: " + ", ".join(missing)


def test_a_broken_pointer_is_reported_with_file_line_and_path() -> None:
    text = ('"""Fine: docs/architecture.md#processes and docs/drivers.md.\n'
            "Broken: docs/no-such-note.md, docs/architecture.md#no-such-heading and\n"
            'docs/design/daemon-interfaces.md, "No such section".\n"""\n')
    assert pointer_errors("firmware/x.py", text) == [
        "firmware/x.py:2: docs/no-such-note.md: docs/no-such-note.md does not exist",
        "firmware/x.py:2: docs/architecture.md#no-such-heading: docs/architecture.md has no "
        "heading with anchor #no-such-heading",
        'firmware/x.py:3: docs/design/daemon-interfaces.md, "No such section": no heading of '
        "docs/design/daemon-interfaces.md starts with that title",
    ]


def test_a_link_leaving_the_repository_is_reported() -> None:
    text = "See [the old notes](../../elsewhere/notes.md) and [ok](architecture.md#threads).\n"
    assert link_errors("docs/x.md", text) == [
        "docs/x.md:1: ../../elsewhere/notes.md: leads outside the repository"]


@pytest.mark.parametrize("title, anchor", [
    ("Si3217x ProSLIC (FXS port)", "si3217x-proslic-fxs-port"),
    ("Kamailio edge (`firmware/sipedge/`)", "kamailio-edge-firmwaresipedge"),
    ("China No.1 sequence", "china-no1-sequence"),
    ("OS image and updates (planned, issue: OS image and A/B updates)",
     "os-image-and-updates-planned-issue-os-image-and-ab-updates"),
])
def test_anchors_follow_githubs_rule(title: str, anchor: str) -> None:
    assert slug(title) == anchor
