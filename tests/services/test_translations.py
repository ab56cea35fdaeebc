"""The Chinese catalog covers every string the app shows."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_string_has_a_chinese_translation(tmp_path):
    """Does every translatable string in the code have a Chinese text in the zh_Hans_CN catalog?"""
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", "."],
                   check=True, cwd=ROOT, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    done = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
            if m.id and m.string and (isinstance(m.string, str) or all(m.string)) and not m.fuzzy}
    missing = sorted(wanted - done)
    assert not missing, f"untranslated (add them to translations/zh/*.json, then `make messages`): {missing[:20]}"
