"""Fill the empty French translations of django.po from .po fragments (msgid → msgstr).

Run after ``kerma manage makemessages -l fr``: ``python scripts/i18n_fill.py FRAGMENT...``.
Entries already translated are kept; fuzzy entries whose msgid a fragment translates are
replaced. Prints the msgids still untranslated.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "src/kerma/web/locale/fr/LC_MESSAGES/django.po"


def _unquote(lines: list[str]) -> str:
    return "".join(
        bytes(line.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode()
        for line in lines
    )


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def parse(text: str) -> list[dict]:
    """Return the entries of a .po text: comments, msgid, msgid_plural, msgstr[n]/msgstr."""
    entries, current, key = [], None, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                entries.append(current)
            current, key = None, None
            continue
        current = current or {"comments": [], "fields": {}}
        if line.startswith("#"):
            current["comments"].append(line)
            continue
        match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt)\s+(".*")$', line)
        if match:
            key = match.group(1)
            current["fields"][key] = [match.group(2)]
        elif line.startswith('"') and key:
            current["fields"][key].append(line)
    if current:
        entries.append(current)
    return entries


def render(entries: list[dict]) -> str:
    out = []
    for e in entries:
        lines = list(e["comments"])
        for key, value in e["fields"].items():
            lines.append(f"{key} {value[0]}")
            lines.extend(value[1:])
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def main(fragments: list[str]) -> None:
    known: dict[str, dict[str, str]] = {}
    for name in fragments:
        for e in parse(Path(name).read_text()):
            f = e["fields"]
            if "msgid" not in f:
                continue
            msgid = _unquote(f["msgid"])
            known[msgid] = {k: _unquote(v) for k, v in f.items() if k.startswith("msgstr")}
    entries = parse(PO.read_text())
    missing = []
    for e in entries:
        f = e["fields"]
        if "msgid" not in f or not _unquote(f["msgid"]):
            continue
        msgid = _unquote(f["msgid"])
        strs = {k: _unquote(v) for k, v in f.items() if k.startswith("msgstr")}
        fuzzy = any("fuzzy" in c for c in e["comments"] if c.startswith("#,"))
        if all(strs.values()) and not fuzzy:
            continue
        if msgid in known and all(known[msgid].get(k) for k in strs):
            for k in strs:
                f[k] = [_quote(known[msgid][k])]
            e["comments"] = [
                c.replace(", fuzzy", "").replace("#, fuzzy", "#") if c.startswith("#,") else c
                for c in e["comments"]
                if c.strip() not in ("#", "#,")
            ]
            e["comments"] = [c for c in e["comments"] if not c.startswith("#| ")]
        else:
            missing.append(msgid)
    PO.write_text(render(entries))
    for msgid in missing:
        print("untranslated:", msgid)


if __name__ == "__main__":
    main(sys.argv[1:])
