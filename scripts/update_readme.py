"""Write the course map from resnext_edu/course.py into README.md, between its two markers."""
import re
from pathlib import Path

from resnext_edu.course import course_map

README = Path(__file__).resolve().parents[1] / "README.md"
PATTERN = re.compile(r"(<!-- course-map:start -->\n).*?(<!-- course-map:end -->)", re.S)


def render(text):
    return PATTERN.sub(lambda m: m.group(1) + course_map(relative_to=".") + "\n" + m.group(2), text)


if __name__ == "__main__":
    README.write_text(render(README.read_text()))
    print(f"updated {README}")
