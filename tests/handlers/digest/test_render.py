"""The digest as a Slack message shows every outside text inert: titles, activity names from the
learning records, notes, and links only to web addresses (handlers.digest.render)."""

import json
import re

from handlers.core.replies import Notice, Numbered
from handlers.digest.model import Activity, DigestContent
from handlers.digest.render import render_slack
from providers.model import LearningObject

HOSTILE = "<!everyone> <https://evil.example|x> *y*"
SHOWN = "&lt;!everyone&gt; &lt;https://evil.example|x&gt; *y*"


def item(ref: str, url: str = "https://example.org/course") -> LearningObject:
    return LearningObject(id=ref, provider="learnflow", title=HOSTILE, url=url, description=HOSTILE, source=HOSTILE)


def control_sequences(payload: dict) -> list[str]:
    return re.findall(r"<([^>]*)>", json.dumps(payload, ensure_ascii=False))


def test_every_part_of_a_digest_shows_outside_text_escaped():
    content = DigestContent(
        week="2026-W12", intro=f"Picked for your topics: {HOSTILE}",
        pick=Numbered(1, item("a")), new_items=(Numbered(2, item("b")),),
        activity=Activity(week=Notice("Your week", (f"• Completed: {HOSTILE}",), chart=f"Mon ██ {HOSTILE}"),
                          enrollments=(Numbered(1, item("c", url="javascript:alert(1)"), note=HOSTILE),)),
        missing=(HOSTILE,))
    payload = render_slack(content)
    sequences = control_sequences(payload)
    assert sequences and all(s.startswith("https://example.org/course|") for s in sequences)
    shown = json.dumps(payload, ensure_ascii=False)
    # intro, pick (title, source, description), new item (same), week line and chart, enrollment, note, missing
    assert shown.count(SHOWN) == 12
    assert "javascript:" not in shown


def test_a_digest_whose_enrollments_overflow_a_section_is_cut_between_links():
    enrollments = tuple(Numbered(n, item(str(n), url=f"https://example.org/{n}?" + "q" * 200), note="&" * 50)
                        for n in range(30))
    payload = render_slack(DigestContent(week="2026-W12", activity=Activity(enrollments=enrollments)))
    section = next(b["text"]["text"] for b in payload["blocks"]
                   if b["type"] == "section" and b["text"]["text"].startswith("*In progress*"))
    assert len(section) <= 3000
    links = re.findall(r"<https://example\.org/\d+\?q{200}\|[^<>]+> — _(?:&amp;){50}_", section)
    assert 0 < len(links) < 30
    assert section.endswith(f"\n…and {30 - len(links)} more in the App Home.")
    assert section.count("<") == len(links)
