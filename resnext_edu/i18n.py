"""The language of the package's messages: `set_language("ko")` switches every one of them to Korean.

One mechanism, the standard library's gettext. The messages are written in English in the code,
as `_("...")` where they are shown, or `N_("...")` where they are defined before a language is set
(class attributes, module constants) and translated with `_()` when shown. A message with values
keeps them as named fields, `_("{n} paths").format(n=n)`, so a translation can move them.

The Korean catalogue is the .po files in `locale/ko/` (one per part of the package, one domain),
read and compiled in memory when the language is set: no build step, no stale .mo file.
"""
import ast
import gettext
import io
import struct
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "_", "catalogue", "get_language", "ngettext", "set_language"]

LOCALE = Path(__file__).resolve().with_name("locale")
LANGUAGES = ("en", "ko")

_state = {"language": "en", "translations": gettext.NullTranslations()}


def N_(message):
    """Mark a message for translation without translating it yet (it is translated where it is shown)."""
    return message


def _(message):
    """`message` in the current language; the English itself when there is no translation."""
    return _state["translations"].gettext(message)


def ngettext(singular, plural, n):
    """The singular or plural form for `n`, in the current language."""
    return _state["translations"].ngettext(singular, plural, n)


def get_language():
    """The current language: "en" or "ko"."""
    return _state["language"]


def set_language(language):
    """Show the package's messages, feedback, widgets and figure labels in `language` ("en" or "ko")."""
    if language not in LANGUAGES:
        raise ValueError(f"set_language({language!r}): the course speaks {' and '.join(map(repr, LANGUAGES))}; "
                         f"use set_language(\"ko\") for Korean or set_language(\"en\") for English.")
    translations = gettext.NullTranslations()
    if language != "en":
        translations = gettext.GNUTranslations(io.BytesIO(_compile(catalogue(language))))
    _state.update(language=language, translations=translations)


def catalogue(language):
    """{msgid: msgstr} of every .po file in locale/<language>/; a plural entry's key is (singular, plural)."""
    entries = {}
    for po in sorted((LOCALE / language).glob("*.po")):
        for key, value in _read_po(po):
            if key in entries and key != "":
                raise ValueError(f"{po.name}: {key!r} is translated twice in locale/{language}/")
            if key == "" and "" in entries:
                continue  # each file has a header; the first one's counts
            entries[key] = value
    return entries


def _read_po(path):
    """(msgid, msgstr) pairs of a .po file: msgid, msgid_plural, msgstr, msgstr[n], continued strings."""
    entry, field, fuzzy = {}, None, False
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            if entry:
                yield from _finish(path, entry, fuzzy)
            entry, field, fuzzy = {}, None, False
        elif line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
        elif line.startswith('"'):
            if field is None:
                raise ValueError(f"{path.name}:{number}: a continued string outside an entry")
            entry[field] += ast.literal_eval(line)
        else:
            field, _, text = line.partition(" ")
            if field not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not field.startswith("msgstr["):
                raise ValueError(f"{path.name}:{number}: expected msgid, msgid_plural or msgstr, got {line[:40]!r}")
            entry[field] = ast.literal_eval(text)


def _finish(path, entry, fuzzy):
    if "msgid" not in entry:
        raise ValueError(f"{path.name}: an entry without a msgid: {entry}")
    if fuzzy:
        return  # a fuzzy translation is a guess waiting for review: the English is shown instead
    if "msgid_plural" in entry:
        forms = [entry[k] for k in sorted(k for k in entry if k.startswith("msgstr["))]
        if all(forms):
            yield (entry["msgid"], entry["msgid_plural"]), forms
    elif entry.get("msgstr"):
        yield entry["msgid"], entry["msgstr"]


def _compile(entries):
    """The bytes of a GNU .mo file holding `entries` (the format gettext.GNUTranslations reads)."""
    def encode(key, value):
        if isinstance(key, tuple):
            return "\0".join(key).encode(), "\0".join(value).encode()
        return key.encode(), value.encode()
    pairs = sorted(encode(k, v) for k, v in entries.items())
    header = 7 * 4
    originals_at, translations_at = header, header + 8 * len(pairs)
    data_at = translations_at + 8 * len(pairs)
    tables, blob = [[], []], b""
    for column in (0, 1):
        for pair in pairs:
            tables[column].append((len(pair[column]), data_at + len(blob)))
            blob += pair[column] + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(pairs), originals_at, translations_at, 0, data_at)
    for column in (0, 1):
        out += b"".join(struct.pack("<2I", length, offset) for length, offset in tables[column])
    return out + blob
