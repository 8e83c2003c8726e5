"""`python -m exam` serves the API; `python -m exam seed-demo` seeds the demo contest."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["seed-demo"]:
        from exam import demo

        demo.main()
        return
    from exam.app import create_app
    from exam.settings import ExamSettings
    from kit.serve import run

    run(create_app, ExamSettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
