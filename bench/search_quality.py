"""Search quality over the bundled catalog: nDCG@5 and the share of queries whose top three
are all relevant.

Each case of the evaluation set (`bench/search_eval.yaml`, or a file given as the first
argument; its relevance was judged by hand, independently of the code) is
`{query, understood: {SearchQuery fields}, relevant: [catalog ids]}`. The query is built
from `understood` directly, so these figures measure retrieval and ranking, not the
grammar; it runs through the catalog provider and the fan-out ranking, as `/learn` does.
Relevance is binary. A case with no relevant item counts as right when nothing is shown.
A `refused: true` case (nothing to search) is not ranked; its text, searched as keywords,
must be reported `unsearchable`.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import statistics
import sys
from pathlib import Path

import yaml
from sqlite_utils import Database

from providers.catalog import CatalogProvider, load_bundled_catalog
from providers.model import SearchQuery
from providers.search import fan_out
from store.catalog import catalog_migrations

HERE = Path(__file__).parent
EVAL_FILE = HERE / "search_eval.yaml"
DEPTH = 5
NDCG_GOAL = 0.85


def load_cases(path: Path | None = None) -> tuple[Path, list[dict]]:
    path = path or EVAL_FILE
    return path, yaml.safe_load(path.read_text("utf-8"))


def to_query(understood: dict) -> SearchQuery:
    fields = {key: tuple(value) if isinstance(value, list) else value for key, value in understood.items()}
    fields.setdefault("keywords", "")
    return SearchQuery(**fields)


def ndcg(ranked: list[str], relevant: set[str], depth: int = DEPTH) -> float:
    if not relevant:
        return 1.0 if not ranked else 0.0
    gain = sum(1 / math.log2(position + 2) for position, ref in enumerate(ranked[:depth]) if ref in relevant)
    ideal = sum(1 / math.log2(position + 2) for position in range(min(depth, len(relevant))))
    return gain / ideal


def top_three_relevant(ranked: list[str], relevant: set[str]) -> bool:
    wanted = min(3, len(relevant))
    return len(ranked) >= wanted and all(ref in relevant for ref in ranked[:wanted])


def run(cases: list[dict]) -> tuple[list[tuple[dict, list[str], float]], list[bool]]:
    """(each ranked case with its ids and nDCG@5, whether each refused case was unsearchable)."""
    db = Database(memory=True)
    catalog_migrations.apply(db)
    load_bundled_catalog(db)
    catalog = CatalogProvider(db)
    options = _ranking_options(catalog)
    results, refused = [], []
    for case in cases:
        if case.get("refused"):
            outcome = asyncio.run(fan_out([catalog], SearchQuery(case["query"])))
            refused.append(getattr(outcome, "unsearchable", False))
            continue
        query = to_query(case["understood"])
        outcome = asyncio.run(fan_out([catalog], query, **options(query, case["query"])))
        ranked = [item.id for item in outcome.items]
        results.append((case, ranked, ndcg(ranked, set(case["relevant"]))))
    return results, refused


def _ranking_options(catalog: CatalogProvider):
    """The fan-out's ranking inputs: the person's languages (here, those asked for) and
    spelling help from the catalog's words. The person here has no language of their own,
    so, as `/learn` does, the language the text is written in is preferred. Skipped when
    this fan-out does not take them."""
    accepted = inspect.signature(fan_out).parameters
    if "speller" not in accepted:
        return lambda query, text: {}
    from providers.vocabulary import Speller, guess_language

    speller = Speller(catalog.words)
    return lambda query, text: {"languages": query.languages or (guess_language(text),), "speller": speller}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    path, cases = load_cases(Path(argv[0]) if argv else None)
    results, refused = run(cases)
    mean_ndcg = statistics.fmean(score for _, _, score in results)
    top_three = statistics.fmean(top_three_relevant(ranked, set(case["relevant"]))
                                 for case, ranked, _ in results)
    print(f"search quality over {len(results)} ranked queries ({path.name})")
    for case, ranked, score in sorted(results, key=lambda result: result[2])[:8]:
        if score < 1:
            print(f"  weakest: {case['query']!r:40} nDCG@5 {score:.2f}  top: {', '.join(ranked[:3]) or '(none)'}")
    print(f"  nDCG@{DEPTH}                  {mean_ndcg:7.3f}   (goal >= {NDCG_GOAL})")
    print(f"  top three all relevant  {top_three:7.1%}")
    if refused:
        print(f"  nothing to search seen  {sum(refused)} of {len(refused)}")


if __name__ == "__main__":
    main()
