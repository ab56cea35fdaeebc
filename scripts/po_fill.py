"""Fill the Chinese catalog from translations/zh/*.json and list what is still untranslated.

Each JSON file maps an English msgid to its Chinese text (a plural entry to a one-item
list: Chinese has one form). One file per feature keeps parallel work free of conflicts in
the .po, which is regenerated: run `make messages` after adding strings.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
SOURCES = ROOT / "translations" / "zh"


def load_sources() -> dict:
    """Every translation from every JSON file (a msgid given twice must agree)."""
    merged: dict = {}
    for path in sorted(SOURCES.glob("*.json")):
        for msgid, text in json.loads(path.read_text(encoding="utf-8")).items():
            if msgid in merged and merged[msgid] != text:
                print(f"conflict for {msgid!r} in {path.name}: {text!r} vs {merged[msgid]!r}")
            merged.setdefault(msgid, text)
    return merged


def main() -> int:
    """Apply the translations to the catalog; exit 1 when anything is left untranslated."""
    wanted = load_sources()
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in wanted:
            text = wanted[key]
            message.string = tuple(text) if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
    with PO.open("wb") as fh:
        write_po(fh, catalog, no_location=True, sort_output=True, width=100)
    missing = [m.id for m in catalog if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    for msgid in missing:
        print("untranslated:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
