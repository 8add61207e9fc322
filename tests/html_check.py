"""Check a page's HTML the way the W3C checker and a screen reader would trip on it.

``problems(html)`` lists what is wrong: an element id used twice, a form
without an action, a POST form without a CSRF field, a heading that skips a
level (h1 → h3), a form inside a <p>, and a page without one non-empty title
and meta description. Tests call ``assert_clean_page(response)`` on every page
the route sweeps visit (tests/test_html_sweep.py), and on pages of their own.
"""

from html.parser import HTMLParser

# Forms on pages kept in the page cache carry no token; they check the
# request's origin instead (app/prefs).
TOKENLESS_ACTIONS = ("/prefs/language", "/prefs/elder", "/language", "/elder")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# Elements that end an open <p> (HTML's "p end tag omitted" rule, the ones we use).
CLOSES_P = {"address", "article", "aside", "details", "div", "dl", "fieldset", "footer", "form",
            "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
            "section", "table", "ul"}  # fmt: skip


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, int] = {}
        self.forms: list[dict] = []
        self.headings: list[int] = []
        self.open_p = 0
        self.form_in_p = 0
        self.titles: list[str] = []
        self.descriptions: list[str] = []
        self._in_title = False
        self._form: dict | None = None
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids[attributes["id"]] = self.ids.get(attributes["id"], 0) + 1
        if tag in CLOSES_P and self.open_p:
            if tag == "form":
                self.form_in_p += 1
            self.open_p = 0
        if tag == "p":
            self.open_p = 1
        if tag == "form":
            self._form = {
                "action": attributes.get("action"),
                "method": (attributes.get("method") or "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        if tag in ("input", "button", "select", "textarea") and self._form is not None:
            self._form["fields"].append(attributes.get("name") or "")
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append(int(tag[1]))
        if tag == "title":
            self._in_title = True
            self.titles.append("")
        if tag == "meta" and attributes.get("name") == "description":
            self.descriptions.append(attributes.get("content") or "")

    def handle_endtag(self, tag):
        if tag == "p":
            self.open_p = 0
        if tag == "form":
            self._form = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data


def problems(html: str, *, whole_page: bool = True) -> list[str]:
    """Everything wrong with ``html`` (a fragment skips the title and description checks)."""
    page = _Page()
    page.feed(html)
    page.close()
    found = [f"id {name!r} is used {count} times" for name, count in page.ids.items() if count > 1]
    for form in page.forms:
        if not form["action"]:
            found.append(f"a form without an action (fields {form['fields']})")
        elif (
            form["method"] == "post"
            and not any(n == "csrf_token" or n.endswith("-csrf_token") for n in form["fields"])
            and not form["action"].startswith(TOKENLESS_ACTIONS)
        ):
            found.append(f"the POST form to {form['action']} has no CSRF field")
    if page.form_in_p:
        found.append(f"{page.form_in_p} form(s) inside a <p>")
    previous = 0
    for level in page.headings:
        if level > previous + 1 and previous:
            found.append(f"a heading skips from h{previous} to h{level}")
        previous = level
    if whole_page:
        if page.headings[:1] != [1]:
            found.append(f"the first heading is not an h1 ({page.headings[:3]})")
        if page.headings.count(1) != 1:
            found.append(f"{page.headings.count(1)} h1 headings")
        if len(page.titles) != 1 or not page.titles[0].strip():
            found.append("no single, non-empty <title>")
        if len(page.descriptions) != 1 or not page.descriptions[0].strip():
            found.append("no single, non-empty meta description")
    return found


def assert_clean_page(response, where: str = "") -> None:
    """Fail on any problem of an HTML response (pages whole, htmx fragments partly)."""
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    whole = "<html" in html[:200]
    found = problems(html, whole_page=whole)
    assert not found, f"{where or response.request.path}: " + "; ".join(found)
