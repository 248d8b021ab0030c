"""Write the course map from resnext_edu/course.py into README.md and, in Korean, README.ko.md."""
import re
from pathlib import Path

from resnext_edu.course import course_map
from resnext_edu.i18n import set_language

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
READMES = {"en": README, "ko": ROOT / "README.ko.md"}
PATTERN = re.compile(r"(<!-- course-map:start -->\n).*?(<!-- course-map:end -->)", re.S)


def render(text, language="en"):
    """The README's text with its course map (in `language`) written between the markers."""
    set_language(language)
    try:
        table = course_map(relative_to=".")
    finally:
        set_language("en")
    return PATTERN.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text)


if __name__ == "__main__":
    for language, path in READMES.items():
        path.write_text(render(path.read_text(encoding="utf-8"), language), encoding="utf-8")
        print(f"updated {path}")
