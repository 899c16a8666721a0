#!/usr/bin/env bash
# Checks that the repository stands alone and reads as it is now. It reads every
# tracked text file outside Corpus/ and fails, naming file and line, on
#   - a path of a development machine: /work/..., /home/NAME/..., /Users/NAME/...,
#     /root/..., /opt/swift... (/tmp/... passes: tests and recipes use scratch
#     folders there);
#   - a file the repository does not have: a name ending in .md that is no
#     tracked file (looked up from the repository's root, from the naming
#     file's folder and the folders above it, and by its path's tail, so
#     Grammar/README.md passes; report.md, which smtp-fuzz writes, passes too),
#     the draft as a .txt file, "beside this file", "the team's STYLE" guide;
#   - a development round instead of the project's state: "session 3",
#     "measured in session 5", "the session-4 measurements", "sessions 3 and 4",
#     "the lead"; or an issue of a tracker the repository does not carry:
#     "issue 9", "the issue quotes", "the benchmarks issue". "session" for an
#     SMTP session or the `session` fuzz target passes, also before a figure
#     that is no small round number ("session 4096", "session 2,250 exec/s"),
#     and so do SMTPSession and Sources/SMTPSession;
#   - in Markdown files, a relative link whose target is no tracked file or
#     folder, or whose #fragment is no heading of the target (GitHub's anchors).
#     Links inside code blocks and code spans are not links; the patterns
#     above are checked there too (a command that names /work/... is as
#     broken as prose that does).
# It also checks that the toolkit version is defined once: the newest entry of
# CHANGELOG.md names the version of Sources/ABNFCompiler/ToolkitVersion.swift.
# Fix a finding by citing the repository's own file (docs/decisions.md,
# docs/toolchain.md, CONTRIBUTING.md), the draft by its name, or by moving a
# dated figure into docs/results.md (CONTRIBUTING.md, House style).
#
#   scripts/check-repo.sh              check this checkout (CI runs this, early)
#   scripts/check-repo.sh --root DIR   check another tree (a git checkout or a plain folder)
#   scripts/check-repo.sh --self-test  plant each kind of violation, and legitimate uses
#                                      beside them, in a scratch repository, and check
#                                      that exactly the violations are reported
# Needs python3 (standard library only) and git. Exit status 1 on any finding.
set -euo pipefail
. "$(dirname "$0")/help.sh"
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" = "--self-test" ]; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    mkdir -p "$scratch/docs" "$scratch/Sources/ABNFCompiler" "$scratch/Sources/Mod/Grammar" "$scratch/Corpus"
    cat >"$scratch/Sources/ABNFCompiler/ToolkitVersion.swift" <<'EOF'
public enum ToolkitVersion {
    public static let current = "1.2.0"
}
EOF
    printf '# Changelog\n\n## 1.2.0\n\n- Something.\n\n## 1.1.0\n\n- Older.\n' >"$scratch/CHANGELOG.md"
    printf '# Grammar\n\n## Files and entries\n' >"$scratch/Sources/Mod/Grammar/README.md"
    # Legitimate uses: none of these lines may be reported.
    cat >"$scratch/docs/good.md" <<'EOF'
# Good page

## Event loops and listeners

An SMTP session ends with QUIT; the session fuzz target `session` ran at
session 2,250 exec/s, with -max_len for session 4096, and SMTPSession's
tests (Sources/SMTPSession) pass. A second session on one connection is 503 (D9);
20 sessions, 4,000 messages; sessions 1,000 at once. mox issue
#48 is another project's tracker.
See [the grammar](../Sources/Mod/Grammar/README.md#files-and-entries), its
folder [Grammar](../Sources/Mod/Grammar), [the loops](#event-loops-and-listeners),
[RFC 5321](https://www.rfc-editor.org/rfc/rfc5321) and Grammar/README.md by its tail.
A scratch copy under /tmp/prove-demo is fine: a temporary folder, not a checkout.
The draft is cited by name: draft-storey-smtp-client-id-08 §4.

```sh
ln -s ../x [not a link](nowhere/)
```
EOF
    # Corpus/ is not read.
    printf 'session 3 /work/main TOOLCHAIN.md\n' >"$scratch/Corpus/seed-1"
    # Planted violations: each line below must be reported, once.
    cat >"$scratch/docs/bad.md" <<'EOF'
# Bad page

Built on /work/main/Sources with the notes in /home/alice/notes.
See TOOLCHAIN.md and the team's STYLE guide, and spec/DECISIONS.md.
The draft (draft-storey-smtp-client-id-08.txt, beside this file).
The session 3 run gave 330 MB/s; measured in session 5.
The session-4 measurements, and the lead's run after the merge (issue 9).
As the measurements of sessions 3 and 4 show, the target the issue quotes is far.
A [broken link](missing.md), [a bad anchor](good.md#no-such-heading), [another](../Nope/).
EOF
    printf '// Cites ARCHITECTURE.md: one place per layer.\nlet x = 1\n' >"$scratch/Sources/Mod/Bad.swift"
    printf '  - x: /Users/bob/src/x.swift:3:1\n' >"$scratch/Sources/Mod/fixture.txt"
    git -C "$scratch" init -q
    git -C "$scratch" add -A
    set +e
    output=$(bash "$script" --root "$scratch" 2>&1)
    status=$?
    set -e
    printf '%s\n' "$output"
    expected=(
        "docs/bad.md:3: machine path '/work/main/Sources'"
        "docs/bad.md:3: machine path '/home/alice/notes'"
        "docs/bad.md:4: file not in the repository 'TOOLCHAIN.md'"
        "docs/bad.md:4: file not in the repository 'the team's STYLE'"
        "docs/bad.md:4: file not in the repository 'spec/DECISIONS.md'"
        "docs/bad.md:5: file not in the repository 'draft-storey-smtp-client-id-08.txt'"
        "docs/bad.md:5: file not in the repository 'beside this file'"
        "docs/bad.md:6: development round 'session 3'"
        "docs/bad.md:6: development round 'session 5'"
        "docs/bad.md:7: development round 'session-4'"
        "docs/bad.md:7: development round 'the lead'"
        "docs/bad.md:7: issue of a tracker not in the repository 'issue 9'"
        "docs/bad.md:8: development round 'sessions 3'"
        "docs/bad.md:8: issue of a tracker not in the repository 'the issue'"
        "docs/bad.md:9: broken link 'missing.md'"
        "docs/bad.md:9: broken link 'good.md#no-such-heading'"
        "docs/bad.md:9: broken link '../Nope/'"
        "Sources/Mod/Bad.swift:1: file not in the repository 'ARCHITECTURE.md'"
        "Sources/Mod/fixture.txt:1: machine path '/Users/bob/src/x.swift'"
    )
    failed=0
    for line in "${expected[@]}"; do
        if ! grep -qF -- "$line" <<<"$output"; then
            echo "check-repo self-test: NOT REPORTED: $line" >&2
            failed=1
        fi
    done
    findings=$(grep -c '^[^ ].*:[0-9]*: ' <<<"$output" || true)
    if [ "$findings" -ne "${#expected[@]}" ]; then
        echo "check-repo self-test: $findings findings, expected exactly ${#expected[@]} (a legitimate use was reported?)" >&2
        failed=1
    fi
    if [ "$status" -ne 1 ]; then
        echo "check-repo self-test: exit status $status, expected 1" >&2
        failed=1
    fi
    # The version check: a CHANGELOG that names another version fails.
    printf '# Changelog\n\n## 1.3.0\n\n- Newer.\n' >"$scratch/CHANGELOG.md"
    rm "$scratch/docs/bad.md" "$scratch/Sources/Mod/Bad.swift" "$scratch/Sources/Mod/fixture.txt"
    git -C "$scratch" add -A
    if output=$(bash "$script" --root "$scratch" 2>&1); then
        echo "check-repo self-test: a CHANGELOG naming 1.3.0 against ToolkitVersion 1.2.0 passed" >&2
        failed=1
    else
        printf '%s\n' "$output"
    fi
    if [ "$failed" -ne 0 ]; then
        echo "check-repo self-test: FAILED" >&2
        exit 1
    fi
    echo "check-repo self-test: all ${#expected[@]} planted violations and the version mismatch reported, no legitimate use reported"
    exit 0
fi

if [ "${1:-}" = "--root" ]; then
    root="$(cd "${2:?--root needs a folder}" && pwd)"
    shift 2
fi
if [ "$#" -gt 0 ]; then
    echo "check-repo: unknown argument '$1' (see --help)" >&2
    exit 2
fi

exec python3 - "$root" <<'PY'
import os, re, subprocess, sys, unicodedata

root = sys.argv[1]
try:
    listed = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                            capture_output=True).stdout.decode().split("\0")
    files = sorted(f for f in listed if f)
except (subprocess.CalledProcessError, FileNotFoundError):
    files = sorted(os.path.relpath(os.path.join(d, n), root)
                   for d, dirs, names in os.walk(root)
                   if not any(p.startswith(".build") or p == ".git" for p in os.path.relpath(d, root).split(os.sep))
                   for n in names)
files = [f for f in files if not f.startswith("Corpus/") and os.path.isfile(os.path.join(root, f))]
tracked = set(files)
folders = {os.path.dirname(f) for f in files}
for f in list(folders):
    while f:
        f = os.path.dirname(f)
        folders.add(f)

findings = []
def report(path, line, kind, text):
    findings.append(f"{path}:{line}: {kind} '{text}'")

# Paths of a development machine. /tmp is not one: tests and recipes use scratch folders there.
machine_path = re.compile(r"(?<![\w.~$-])/(?:work|home/[A-Za-z_][\w.-]*|Users/[A-Za-z_][\w.-]*|root|opt/swift[\w.-]*)/[^\s'\"`)<>\]:]*")
# Files that never were in the repository, by the phrases that name them.
missing_phrases = re.compile(
    r"draft-storey-smtp-client-id-\d+\.txt|\bbeside this file\b|\bthe team's (?:STYLE|TOOLCHAIN|ARCHITECTURE)\b"
    r"|\bTOOLCHAIN notes\b")
# A name ending in .md: must be a tracked file (checked below).
markdown_name = re.compile(r"(?<![\w/.:~$-])((?:\.{1,2}/)*(?:[\w-][\w.-]*/)*[\w-][\w.-]*\.md)\b(?![\w/-])")
# Development rounds. "session" followed by a small number is a round; a larger
# figure or one that goes on ("4096", "2,250") is the SMTP session or the fuzz target.
rounds = re.compile(r"\b[Ss]essions?[- ]\d{1,2}\b(?![.,]?\d)|\bthe lead\b|\b[Ss]ession [Nn]\b")
# This repository has no issue tracker of its own: "issue 9", "the issue quotes", "the benchmarks issue".
issues = re.compile(r"\b[Ii]ssues? #?\d+\b|\bthe (?:[a-z]+ )?issue\b")

# Markdown files the tools write, named in their docs: smtp-fuzz's campaign report and coverage report.
written_by_tools = {"report.md", "coverage/hand-written.md"}

def markdown_resolves(path, name):
    if name in written_by_tools:
        return True
    base = os.path.dirname(path)
    candidates = [os.path.normpath(os.path.join(base, name)), os.path.normpath(name)]
    d = base
    while d:
        d = os.path.dirname(d)
        candidates.append(os.path.normpath(os.path.join(d, name)))
    if any(c in tracked for c in candidates):
        return True
    tail = "/" + name.lstrip("./")
    return any(f.endswith(tail) for f in tracked)

def text_of(path):
    data = open(os.path.join(root, path), "rb").read()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None

for path in files:
    if path == "scripts/check-repo.sh":
        continue  # its own self-test plants every pattern
    text = text_of(path)
    if text is None:
        continue
    for number, line in enumerate(text.split("\n"), 1):
        # In Markdown, a link's target is the link check's to judge (below), not the name check's.
        names = re.sub(r"\]\([^)]*\)", "]()", line) if path.endswith(".md") else line
        for m in machine_path.finditer(line):
            report(path, number, "machine path", m.group(0).rstrip(".,:;"))
        for m in missing_phrases.finditer(line):
            report(path, number, "file not in the repository", m.group(0))
        for m in markdown_name.finditer(names):
            if not markdown_resolves(path, m.group(1)):
                report(path, number, "file not in the repository", m.group(1))
        for m in rounds.finditer(line):
            report(path, number, "development round", m.group(0))
        for m in issues.finditer(line):
            report(path, number, "issue of a tracker not in the repository", m.group(0))

# Links of Markdown files: relative targets must be tracked files or folders, fragments headings.
def slug(heading):
    # GitHub's anchors: lower case, markup and punctuation dropped, spaces to hyphens.
    heading = re.sub(r"`([^`]*)`", r"\1", heading)
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    heading = heading.strip().lower()
    kept = "".join(c for c in heading if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")

def prose_lines(text):
    """Lines with fenced code blocks blanked and inline code removed (line numbers kept)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = re.match(r"\s*(`{3,}|~{3,})", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append("")
        elif m:
            fence = m.group(1)
            out.append("")
        else:
            out.append(re.sub(r"(`+)(?:(?!\1).)+?\1", "", line))
    return out

anchors_cache = {}
def anchors(path):
    if path not in anchors_cache:
        seen, result = {}, set()
        for line in prose_lines(text_of(path) or ""):
            m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            result.add(s if n == 0 else f"{s}-{n}")
        for line in (text_of(path) or "").split("\n"):
            result.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line))
        anchors_cache[path] = result
    return anchors_cache[path]

link = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)|(?:href|src)=\"([^\"]+)\"")
for path in files:
    if not path.endswith(".md"):
        continue
    for number, line in enumerate(prose_lines(text_of(path) or ""), 1):
        for m in link.finditer(line):
            target = m.group(1) or m.group(2) or m.group(3)
            if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("//"):
                continue  # a URL (https:, mailto:, doc: links DocC checks itself)
            file_part, _, fragment = target.partition("#")
            if file_part:
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                if resolved.startswith("..") or not (resolved in tracked or resolved in folders):
                    report(path, number, "broken link", target)
                    continue
            else:
                resolved = path
            if fragment and resolved.endswith(".md") and fragment not in anchors(resolved):
                report(path, number, "broken link", target)

# The toolkit version is defined once, in ToolkitVersion.swift; CHANGELOG.md's newest entry names it.
version_file = "Sources/ABNFCompiler/ToolkitVersion.swift"
if version_file in tracked and "CHANGELOG.md" in tracked:
    m = re.search(r'static let current = "([^"]+)"', text_of(version_file))
    newest = re.search(r"^## \[?v?(\d+\.\d+\.\d+[\w.-]*)", text_of("CHANGELOG.md"), re.M)
    if not m or not newest or m.group(1) != newest.group(1):
        findings.append(f"CHANGELOG.md:1: version mismatch '{newest.group(1) if newest else 'no version heading'}'"
                        f" (the toolkit version in {version_file} is {m.group(1) if m else 'not found'};"
                        " add its entry to CHANGELOG.md, or change both together)")
else:
    findings.append(f"CHANGELOG.md:1: version check '{version_file} and CHANGELOG.md must both exist'")

for f in findings:
    print(f)
if findings:
    print(f"check-repo: {len(findings)} findings in {len(files)} files (see scripts/check-repo.sh --help)", file=sys.stderr)
    sys.exit(1)
print(f"check-repo: {len(files)} files, no machine paths, missing files, development rounds or broken links")
PY
