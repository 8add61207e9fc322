"""Every user-facing string is translated: Chinese first, English complete."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "app/translations/zh/LC_MESSAGES/messages.po"


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_string_in_the_code_is_in_the_catalog(tmp_path):
    """Extract afresh: a new string missing from the catalog fails here."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    extracted = _ids(read_po(pot.open("rb")))
    translated = _ids(read_po(CATALOG.open("rb"), locale="zh"))
    assert extracted, "extraction found no strings"
    assert sorted(extracted - translated) == []


def test_every_message_has_a_chinese_translation():
    catalog = read_po(CATALOG.open("rb"), locale="zh")
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_placeholders_survive_translation():
    import re

    catalog = read_po(CATALOG.open("rb"), locale="zh")
    for m in catalog:
        if not m.id:
            continue
        source = m.id if isinstance(m.id, str) else m.id[0]
        target = m.string if isinstance(m.string, str) else m.string[0]
        assert set(re.findall(r"%\(\w+\)s", source)) == set(re.findall(r"%\(\w+\)s", target)), (
            source
        )
