"""Understood-filters accuracy on the search evaluation set (bench/search_eval.yaml).

A query counts as understood when both surfaces, a direct message (`parse_message`) and the
text after `/learn` (`parse_command`), read it as the SearchQuery the set expects, or refuse it
with a UsageError when the set says `refused: true`. The goal is 100 %.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from handlers.core import grammar
from handlers.core.errors import UsageError
from providers.model import SearchQuery

EVAL_SET = Path(__file__).with_name("search_eval.yaml")
LIST_FIELDS = ("types", "languages", "providers")
REFUSED = "refused"


def load_cases(path: Path = EVAL_SET) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected(case: dict) -> SearchQuery | str:
    """The SearchQuery a case must be understood as, or REFUSED."""
    if case.get("refused"):
        return REFUSED
    wanted = dict(case["understood"])
    for name in LIST_FIELDS:
        wanted[name] = tuple(wanted.get(name) or ())
    return SearchQuery(**wanted)


def understood_as(text: str, parse) -> SearchQuery | str:
    """What one surface makes of `text`: its SearchQuery, REFUSED, or the command it read instead."""
    try:
        command = parse(text)
    except UsageError:
        return REFUSED
    query = getattr(command, "query", None)
    return query if isinstance(query, SearchQuery) else repr(command)


def misreadings(case: dict, module=grammar) -> list[str]:
    """How each surface misread the case (empty when both read it as intended)."""
    wanted = expected(case)
    found = []
    for parse in (module.parse_message, module.parse_command):
        got = understood_as(case["query"], parse)
        if got != wanted:
            found.append(f"{parse.__name__}: {_differences(wanted, got)}")
    return found


def _differences(wanted: SearchQuery | str, got: SearchQuery | str) -> str:
    if isinstance(wanted, str) or isinstance(got, str):
        return f"expected {wanted}, got {got}"
    return ", ".join(f"{f.name} {getattr(got, f.name)!r} (expected {getattr(wanted, f.name)!r})"
                     for f in dataclasses.fields(SearchQuery) if getattr(got, f.name) != getattr(wanted, f.name))


def accuracy(cases: list[dict], module=grammar) -> tuple[float, list[tuple[str, list[str]]]]:
    missed = [(case["query"], found) for case in cases if (found := misreadings(case, module))]
    return 100 * (len(cases) - len(missed)) / len(cases), missed


def main() -> None:
    cases = load_cases()
    share, missed = accuracy(cases)
    print(f"understood-filters accuracy: {share:.0f} % (goal 100 %) over {len(cases)} queries")
    for query, found in missed:
        print(f"  {query!r}: {'; '.join(found)}")


if __name__ == "__main__":
    main()
