"""Headless Chromium for the browser tests, with axe-core run on every page they visit, in English and Chinese.

Every browser test takes its contexts and pages from the ``browser`` fixture (tests/conftest.py), an
:class:`AxeWatch`. Each document its pages show is checked by axe inside the page: an init script runs axe
when the document has loaded, again whenever a script changes the markup (a message shown, a row added),
and hands the result to Python through a binding. A context route holds every main-frame navigation (a link,
a form, a ``goto``, a reload) until the document being left has reported, and the fixture's teardown waits
for what the open pages show: no document a test saw goes unchecked, whatever the test does next.
(Playwright cannot evaluate in a page while one of its navigations is held, hence the in-page run. Nor
does a binding's reply reach the page then: Chromium answers no call into the document being left until
the navigation goes on. So the page never waits for a reply: its calls are one-way messages, numbered so
that Python keeps the latest state of each document.)

After each English document, its URL is loaded once more in Chinese in a shadow context that carries the
user's cookies (so the same person sees it), never their ``localStorage``, and may only read: every request
but GET and HEAD is refused there. Its navigations are held as well, for a page that moves on by itself (a
finished job's page does). A page a POST rendered (a form with its errors) is therefore checked in
Chinese as its GET shows it. Violations of WCAG 2.0/2.1 A and AA (axe's tags ``wcag2a``, ``wcag2aa``,
``wcag21a``, ``wcag21aa``) are collected and fail the test at teardown with rule id, target and help.

axe-core is the copy the PyPI package ``axe-playwright-python`` bundles (pinned in pyproject.toml; its
version is :data:`AXE_VERSION`).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from webhelpers import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


AXE_SCRIPT = _axe_script()
AXE_VERSION = re.search(r"axe v(\d+\.\d+\.\d+)", AXE_SCRIPT[:200]).group(1)

# In every document: a document id, then axe after "load" and after each burst of markup changes; each
# result goes to Python through the ``__axeReport`` binding, and ``__axeState`` tells it a run is due.
# Both are sent, never awaited: while a navigation is held, Chromium delivers no binding's reply to the
# page, and a page waiting for one would never send the report the navigation waits for. Each message
# carries the next number of its document, as the order in which Python takes them is not the page's.
AXE_IN_PAGE = """(() => {
  if (window.top !== window || !location.protocol.startsWith("http")) return;
  const tags = %s;
  const doc = (crypto.randomUUID && crypto.randomUUID()) || String(Math.random());
  let seq = 0, lastSig = null, timer = null, running = false, again = false;
  const send = (binding, payload) => { window[binding](doc, ++seq, payload).catch(() => {}); };
  const signature = () => {
    const html = document.documentElement.outerHTML;
    let sig = html.length;
    for (let i = 0; i < html.length; i++) sig = (sig * 31 + html.charCodeAt(i)) | 0;
    return sig;
  };
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        const sig = signature();
        if (sig === lastSig) { send("__axeState", "done"); break; }  // nothing new to check
        const results = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                 resultTypes: ["violations"]});
        lastSig = sig;
        send("__axeReport", {
          url: location.href, lang: document.documentElement.lang,
          violations: results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
          })),
        });
        if (again) send("__axeState", "due");
      } while (again || signature() !== lastSig);
    } catch (e) {
      send("__axeReport", {url: location.href, error: String(e)});
    } finally {
      running = false;
    }
  };
  const due = () => {
    send("__axeState", "due");
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  };
  send("__axeState", "loading");
  window.addEventListener("load", () => {
    run();
    new MutationObserver(due).observe(document.documentElement,
                                      {subtree: true, childList: true, attributes: true, characterData: true});
  });
})();"""

WAIT_SECONDS = 60.0
"""How long a navigation is held, at most, for the document being left to report."""


@dataclass
class Check:
    """One axe run: the page's URL, its ``<html lang>``, and the violations found (axe's shapes, trimmed)."""

    url: str
    lang: str
    violations: list[dict[str, Any]] = field(default_factory=list)


class AxeWatch:
    """The browser a test drives: contexts and pages made here are checked by axe (see the module's docstring)."""

    def __init__(self, browser):
        self.browser = browser
        self.checks: list[Check] = []
        self.problems: list[str] = []
        self._contexts: list = []
        self._doc: dict[Any, str] = {}  # page -> id of the document it shows
        self._state: dict[str, str] = {}  # document id -> "loading", "due" or "done"
        self._seq: dict[str, int] = {}  # document id -> number of the message that set its state
        self._url: dict[str, str] = {}  # document id -> URL of its last check
        self._shadows: dict[int, Any] = {}
        self._seen_zh: set[tuple[int, str]] = set()

    def _instrument(self, context) -> None:
        context.expose_binding("__axeState", self._on_state)
        context.expose_binding("__axeReport", self._on_report)
        context.add_init_script(script=AXE_SCRIPT)
        context.add_init_script(script=AXE_IN_PAGE % json.dumps(AXE_TAGS))

    def new_context(self, **options):
        """A Playwright ``BrowserContext`` (English unless ``locale`` says otherwise) whose pages are checked."""
        context = self.browser.new_context(**options)
        self._instrument(context)
        context.route("**/*", self._on_request)
        self._contexts.append(context)
        return context

    def new_page(self, **options):
        """A page in a context of its own (as ``Browser.new_page``)."""
        return self.new_context(**options).new_page()

    def _set_state(self, doc: str, seq: int, state: str) -> None:
        """Record ``state`` unless a later message of the document came first."""
        if seq > self._seq.get(doc, 0):
            self._seq[doc] = seq
            self._state[doc] = state

    def _on_state(self, source, doc: str, seq: int, state: str) -> None:
        self._doc[source["page"]] = doc
        self._set_state(doc, seq, state)

    def _on_report(self, source, doc: str, seq: int, result: dict) -> None:
        if "error" in result:
            self.problems.append(f"axe failed on {result['url']}: {result['error']}")
        else:
            self.checks.append(Check(result["url"], result["lang"], result["violations"]))
            self._url[doc] = result["url"]
        self._set_state(doc, seq, "done")

    def _wait(self, page) -> str | None:
        """Wait until the document ``page`` shows has reported its check; its URL (``None``: none to check)."""
        doc = self._doc.get(page)
        if doc is None:
            return None
        deadline = time.monotonic() + WAIT_SECONDS
        while self._state.get(doc) != "done":
            if time.monotonic() > deadline:
                self.problems.append(f"axe did not finish on {page.url} within {WAIT_SECONDS:g} s")
                return None
            page.context.cookies()  # lets Playwright deliver the page's binding calls meanwhile
            time.sleep(0.02)
        return self._url.get(doc)

    def _on_request(self, route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            page = request.frame.page
            url = self._wait(page)
            if url is not None:
                self._check_in_chinese(page.context, url)
        route.fallback()

    def _on_shadow_request(self, route) -> None:
        """A twin's request: GET and HEAD only; a navigation (its own, as a finished job's page makes) is
        held as in the user's context, so that the document it leaves is checked too."""
        request = route.request
        if request.method not in ("GET", "HEAD"):
            route.abort()
            return
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self._wait(request.frame.page)
        route.fallback()

    def _shadow(self, context):
        """The read-only Chinese twin of ``context`` and its one page."""
        key = id(context)
        if key not in self._shadows:
            shadow = self.browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh"})
            self._instrument(shadow)
            shadow.route("**/*", self._on_shadow_request)
            self._shadows[key] = (shadow, shadow.new_page())
        return self._shadows[key]

    def _check_in_chinese(self, context, url: str) -> None:
        key = (id(context), url.split("#", 1)[0])
        if key in self._seen_zh:
            return
        self._seen_zh.add(key)
        shadow, twin = self._shadow(context)
        shadow.clear_cookies()
        shadow.add_cookies(context.cookies())
        try:
            response = twin.goto(key[1], wait_until="load")
        except PlaywrightError as exc:
            self.problems.append(f"could not open {key[1]} in Chinese: {exc}")
            return
        if response is not None and response.status == 405:  # a POST-only URL: nothing to read
            return
        self._wait(twin)

    def check_open_pages(self) -> None:
        """Wait for the checks of what every open page shows now, and their Chinese twins (the end of a test)."""
        for context in self._contexts:
            for page in context.pages:
                url = self._wait(page)
                if url is not None:
                    self._check_in_chinese(context, url)
        for _, twin in self._shadows.values():  # a twin may have moved on by itself since it was checked
            self._wait(twin)

    def report(self) -> str:
        """Every violation found, one rule per block with its targets and help; ``""`` when none."""
        lines = []
        for c in self.checks:
            for v in c.violations:
                lines.append(f"{c.url} [{c.lang}] {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
                lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1].strip()}" for n in v["nodes"]]
        return "\n".join(lines + self.problems)

    def languages(self) -> set[str]:
        """The ``<html lang>`` values of the pages checked."""
        return {c.lang for c in self.checks}


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto(base_url + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
