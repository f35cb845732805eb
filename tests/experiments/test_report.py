"""The HTML report: hostile run names, config values and metric names are escaped (as text in
the page, never markup), and headless Chromium renders the tables and one SVG polyline per run
per chart without a single network request."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import needs_chromium, open_browser
from experiments.compare_fakes import fake_run
from oumi_mcp_server.experiments import compare, report, svg
from oumi_mcp_server.jobs.service import JobService

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</style><svg onload=alert(3)>",
    "' onmouseover='alert(4)",
    "<!--",
    "${7*7}&amp;",
    "\x1b[31mred\u202e",
]


def _hostile_runs(service: JobService, tmp_path: Path) -> list[str]:
    ids = []
    for i, name in enumerate(HOSTILE):
        cfg = (
            f"model:\n  model_name: {name!r}\n"
            f"training:\n  learning_rate: {i}e-4\n  output_dir: {str(tmp_path / str(i))!r}\n"
            f"  {'<b>k</b>'}: {name!r}\n"
        )
        evals = {name: {name: 0.5 + i / 100, "acc": 0.1 * i}}
        rec = fake_run(
            service, tmp_path, f"run{i}", name=name, config=cfg, evals=evals, lr=(i + 1) * 1e-4
        )
        ids.append(rec.id)
    return ids


@pytest.fixture
def hostile_report(tmp_path: Path) -> tuple[Path, list[str]]:
    service = JobService()
    ids = _hostile_runs(service, tmp_path)
    got = compare.compare_runs(service, ids, baseline=ids[3])  # some better, some worse
    assert got.report_path is not None
    return Path(got.report_path), ids


class _Markup(HTMLParser):
    """The tags, attributes and text of a page, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "i", "small", "div",
    "table", "thead", "tbody", "tr", "th", "td", "span", "ul", "li", "figure", "figcaption",
    "svg", "rect", "line", "text", "polyline",
}  # fmt: skip


def test_hostile_text_is_escaped(hostile_report: tuple[Path, list[str]]) -> None:
    path, _ = hostile_report
    html = path.read_text(encoding="utf-8")
    page = _Markup()
    page.feed(html)
    assert page.tags <= ALLOWED_TAGS, page.tags - ALLOWED_TAGS
    assert not [a for a, _ in page.attrs if a.startswith("on")]
    assert not [v for _, v in page.attrs if v and "javascript:" in v.lower()]
    assert page.comments == []
    text = "".join(page.text)
    for name in HOSTILE[:6]:
        assert name in text  # shown as written, as text
    assert f'content="{report.CSP}"' in html
    links = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in links and "https://" not in links and "url(" not in links


def test_svg_draws_numbers_only() -> None:
    chart = svg.overlay('t"<x>', [('a"<b>', [(1, 1.0), (2, 0.5)]), ("flat", [(1, 3.0)])])
    assert chart.count("<polyline") == 2 and "<x>" not in chart and "<b>" not in chart
    assert svg.overlay("t", [("a", [])]) == ""


@needs_chromium
def test_report_renders_in_chromium_without_network(
    hostile_report: tuple[Path, list[str]],
) -> None:
    path, ids = hostile_report
    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    with open_browser() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.locator("#runs tbody tr").count() == len(ids)
        names = page.locator("#runs tbody tr td:nth-child(3)").all_inner_texts()
        assert names[0] == HOSTILE[0] and names[1] == HOSTILE[1]
        keys = page.locator("#config-diff tbody th").all_inner_texts()
        assert "training.learning_rate" in keys and "training.<b>k</b>" in keys
        metrics = page.locator("#metrics tbody th").all_inner_texts()
        assert any(m.startswith(HOSTILE[0] + "/") for m in metrics)
        charts = page.locator("svg.curve")
        assert charts.count() >= 3  # loss, learning_rate, grad_norm (and eval_loss)
        assert charts.first.locator("polyline").count() == len(ids)
        box = charts.first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 80
        assert page.locator("script, img, iframe").count() == 0
        assert page.locator(".better").count() > 0 and page.locator(".worse").count() > 0
        page.set_viewport_size({"width": 420, "height": 800})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 440  # wide tables scroll inside their box, not the page
    assert requests == [path.as_uri()]
    assert dialogs == [] and errors == []
