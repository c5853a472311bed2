"""An axe-like check with DOM queries and the accessibility tree: landmarks, labels, headings."""

from __future__ import annotations

UNLABELLED_CONTROLS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.tagName === 'BUTTON') return !el.textContent.trim();
    return !(el.labels && Array.from(el.labels).some(l => l.textContent.trim()));
  })
  .map(el => el.outerHTML.slice(0, 120))
"""

PAGE_FACTS_JS = """
() => ({
  lang: document.documentElement.lang,
  title: document.title,
  mains: document.querySelectorAll('main').length,
  h1s: document.querySelectorAll('h1').length,
  imagesWithoutAlt: Array.from(document.images).filter(i => !i.hasAttribute('alt')).length,
  unnamedLinks: Array.from(document.querySelectorAll('a[href]'))
    .filter(a => !a.textContent.trim() && !a.getAttribute('aria-label')).length,
  duplicateIds: (() => {
    const seen = {}; const dup = [];
    document.querySelectorAll('[id]').forEach(e => {
      if (seen[e.id]) dup.push(e.id);
      seen[e.id] = 1;
    });
    return dup;
  })(),
})
"""


def check_page(page) -> None:
    """Fail with the problems found on the current page."""
    facts = page.evaluate(PAGE_FACTS_JS)
    problems = []
    if facts["lang"] != "en":
        problems.append("html lang is not 'en'")
    if not facts["title"]:
        problems.append("no <title>")
    if facts["mains"] != 1:
        problems.append(f"{facts['mains']} <main> landmarks")
    if facts["h1s"] != 1:
        problems.append(f"{facts['h1s']} <h1> headings")
    if facts["imagesWithoutAlt"]:
        problems.append(f"{facts['imagesWithoutAlt']} images without alt")
    if facts["unnamedLinks"]:
        problems.append(f"{facts['unnamedLinks']} links without text")
    if facts["duplicateIds"]:
        problems.append(f"duplicate ids {facts['duplicateIds']}")
    unlabelled = page.evaluate(UNLABELLED_CONTROLS_JS)
    if unlabelled:
        problems.append(f"unlabelled controls: {unlabelled}")
    tree = page.locator("body").aria_snapshot()
    for landmark in ("banner", "navigation", "main", "contentinfo"):
        if f"- {landmark}" not in tree:
            problems.append(f"no {landmark} landmark in the accessibility tree")
    assert not problems, f"{page.url}: " + "; ".join(problems)
