"""The package's messages in Korean: every message has a translation, and every translation its message.

The messages are read from the code itself (every `_("...")`, `N_("...")` and `ngettext(...)` with
ast), the translations from resnext_edu/locale/ko/*.po. A translation must keep its message's
{fields}, `code`, HTML tags and numbers, so that `.format()` works and nothing is lost.
A Korean figure draws in the bundled NanumGothic with no font warning.
"""
import ast
import logging
import re
import warnings
from pathlib import Path

import pytest

from resnext_edu import i18n

PACKAGE = Path(__file__).resolve().parents[1] / "resnext_edu"
MARKERS = {"_", "N_"}


def messages():
    """{message or (singular, plural): "file:line"} of every marked message in the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = node.args
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if node.func.id in MARKERS and args and isinstance(args[0], ast.Constant):
                found.setdefault(args[0].value, where)
            elif node.func.id == "ngettext" and len(args) >= 2 and all(isinstance(a, ast.Constant) for a in args[:2]):
                found.setdefault((args[0].value, args[1].value), where)
    return found


@pytest.fixture(scope="module")
def korean():
    return i18n.catalogue("ko")


@pytest.fixture
def in_korean():
    i18n.set_language("ko")
    yield
    i18n.set_language("en")


def test_the_package_marks_its_messages():
    found = messages()
    assert len(found) > 100, f"only {len(found)} marked messages: is the extraction reading the code?"
    assert "Move the slider: if this text changes, widgets work in your browser." in found


def test_every_message_has_a_korean_translation(korean):
    missing = [f"{where}: {message!r}" for message, where in messages().items() if message not in korean]
    assert missing == [], f"{len(missing)} messages have no Korean in resnext_edu/locale/ko/*.po:\n" + "\n".join(missing)


def test_every_translation_is_of_a_message_in_the_code(korean):
    found = messages()
    obsolete = [repr(m) for m in korean if m != "" and m not in found]
    assert obsolete == [], "translations whose English is no longer in the code (remove them):\n" + "\n".join(obsolete)


def _parts(text):
    """What a translation must keep: fields, code spans, HTML tags, numbers."""
    return {"fields": sorted(re.findall(r"\{[^{}]*\}", text)), "code": sorted(re.findall(r"`[^`]*`", text)),
            "tags": sorted(re.findall(r"</?[a-z]+", text)), "numbers": sorted(re.findall(r"\d+(?:\.\d+)?", text))}


def test_translations_keep_fields_code_tags_and_numbers(korean):
    bad = []
    for message, translation in korean.items():
        if message == "":
            continue
        pairs = zip(message, translation) if isinstance(message, tuple) else [(message, translation)]
        for english, text in pairs:
            want, got = _parts(english), _parts(text)
            if want["fields"] != got["fields"] or want["code"] != got["code"] or want["tags"] != got["tags"]:
                bad.append(f"{english!r}\n  -> {text!r}")
            elif not set(want["numbers"]) <= set(got["numbers"]):  # Korean may add some: 10억, 1개
                bad.append(f"numbers lost: {english!r}\n  -> {text!r}")
    assert bad == [], "translations that lose or change a field, code, tag or number:\n" + "\n".join(bad)


def test_every_korean_translation_is_korean(korean):
    hangul = re.compile(r"[\uac00-\ud7a3]")
    def words(text):  # English words outside {fields}
        return re.search(r"[A-Za-z]{3}", re.sub(r"\{[^{}]*\}", "", str(text)))
    english_only = [repr(m) for m, t in korean.items()
                    if m != "" and t != m and words(m) and not any(hangul.search(x) for x in
                                                                   (t if isinstance(t, list) else [t]))]
    assert english_only == [], "entries whose Korean has no Hangul:\n" + "\n".join(english_only)


def test_set_language_switches_and_switches_back(in_korean):
    message = "Move the slider: if this text changes, widgets work in your browser."
    assert i18n.get_language() == "ko"
    korean = i18n._(message)
    assert korean != message and re.search(r"[\uac00-\ud7a3]", korean)
    i18n.set_language("en")
    assert i18n._(message) == message


def test_plural_forms_in_korean(in_korean):
    one = i18n.ngettext("a block with {c} parallel path", "a block with {c} parallel paths", 1)
    many = i18n.ngettext("a block with {c} parallel path", "a block with {c} parallel paths", 32)
    assert one == many and "{c}" in one  # Korean has one form


@pytest.mark.parametrize("language", ["kr", "KO", "", None, "korean"])
def test_an_unknown_language_is_an_error_that_names_what_works(language):
    with pytest.raises(ValueError, match=r"set_language\(.*\): the course speaks 'en' and 'ko'; use set_language"):
        i18n.set_language(language)


def test_a_malformed_catalogue_says_where(tmp_path):
    po = tmp_path / "bad.po"
    po.write_text('msgid "one"\nmsgstr "하나"\n\nmsgid "two"\nmsgsrt "둘"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.po:5: expected msgid, msgid_plural or msgstr"):
        list(i18n._read_po(po))


def test_a_fuzzy_or_empty_translation_falls_back_to_english(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('#, fuzzy\nmsgid "guess"\nmsgstr "추측"\n\nmsgid "empty"\nmsgstr ""\n\n'
                  'msgid "kept"\nmsgstr ""\n"유지"\n', encoding="utf-8")
    assert list(i18n._read_po(po)) == [("kept", "유지")]


def test_the_compiled_catalogue_is_what_gettext_reads():
    import gettext
    import io
    entries = {"": "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=1; plural=0;\n",
               "cat": "고양이", ("{n} dog", "{n} dogs"): ["개 {n}마리"]}
    t = gettext.GNUTranslations(io.BytesIO(i18n._compile(entries)))
    assert (t.gettext("cat"), t.ngettext("{n} dog", "{n} dogs", 3), t.gettext("bird")) == ("고양이", "개 {n}마리", "bird")


def test_a_korean_figure_draws_in_nanumgothic_with_no_font_warning(in_korean, caplog, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from resnext_edu import viz
    viz.use_style()
    try:
        with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.plot([-1, 1], [-2, 2], label="카디널리티 C = 32")
            ax.set_title("256채널 블록의 비용: $C \\cdot d$ = 128", fontweight="bold")
            ax.set(xlabel="병목 폭 d", ylabel="가중치(천 개)")
            ax.legend()
            fig.savefig(tmp_path / "ko.png")
            plt.close(fig)
        assert [str(w.message) for w in caught] == []
        assert [r.getMessage() for r in caplog.records] == []
        for weight in ("normal", "bold"):
            found = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"],
                                                                      weight=weight))
            assert Path(found).name == {"normal": "NanumGothic.ttf", "bold": "NanumGothicBold.ttf"}[weight]
    finally:
        i18n.set_language("en")
        viz.use_style()
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans"]


def test_without_the_korean_font_glyphs_go_missing(tmp_path):
    """The check above can fail: DejaVu Sans alone has no Hangul, and matplotlib says so."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("병목 폭")
        fig.savefig(tmp_path / "missing.png")
        plt.close(fig)
    assert any("missing" in str(w.message) or "glyph" in str(w.message) for w in caught)
