"""A digest as terminal text (`learnbot digest preview`, `learnbot chat`)."""

from __future__ import annotations

from handlers.core.render_text import item_lines, plain, render_text
from handlers.digest.model import TITLE, DigestContent, missing_lines


@render_text.register
def _digest_text(content: DigestContent) -> str:
    lines = [TITLE, *([plain(content.intro)] if content.intro else [])]
    if content.pick:
        lines += ["", "Pick of the week:", *item_lines(content.pick)]
    if content.new_items:
        lines += ["", "New for you:"]
        for entry in content.new_items:
            lines += item_lines(entry)
    week = content.activity.week
    if week:
        lines += ["", "Your week (the last seven days):", *week.lines, week.chart]
    elif content.activity.week_note:
        lines += ["", content.activity.week_note]
    if content.activity.enrollments:
        lines += ["", "In progress:", *(f"• {e.item.title} — {e.note}" for e in content.activity.enrollments)]
    lines += ["", *missing_lines(content),
              "`/learn digest off` stops these digests; `/learn prefs set digest=\"fri 16:30\"` moves them."]
    return "\n".join(plain(line) for line in lines)
