"""Documents in Vietnamese by default and in English with ``--lang en``: every label follows the
language, the national header of an official document stays Vietnamese, dates stay dd/mm/yyyy."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from office import SYSTEM, Office, approve_all, make_office, office_with_examples, ok

from socctl.inventory.dossier import document_context
from socctl.inventory.posture import compute_posture, report_context
from socctl.workspace import open_workspace

#: Letters only Vietnamese uses: text holding one is Vietnamese.
VIETNAMESE = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I
)
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#: Elements that hold only labels socctl writes (no data from the dossier or the law).
LABELS = ("h2", "h3", "caption", "figcaption", "dt", "svg-text")


class _Texts(HTMLParser):
    """The text inside each kind of element; SVG text is collected as ``svg-text``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, list[str]] = defaultdict(list)
        self.open: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        self.open.append("svg-text" if tag == "text" else tag)
        self.texts[self.open[-1]].append("")

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.texts[self.open[-1]][-1] += data


def parse(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    office = office_with_examples(tmp_path_factory.mktemp("lang"))
    approve_all(office)
    return office


def document(office: Office, tmp_path: Path, *args: str) -> str:
    target = tmp_path / "doc.out"
    ok(office.ws, *args, "--output", str(target))
    return target.read_text(encoding="utf-8")


def _labels(page: _Texts) -> list[str]:
    return [text.strip() for tag in LABELS for text in page.texts[tag] if text.strip()]


def test_the_posture_report_is_vietnamese_by_default(office: Office, tmp_path: Path) -> None:
    page = parse(document(office, tmp_path, "report", "posture"))
    assert page.lang == "vi"
    headings = [h.strip() for h in page.texts["h2"]]
    assert len(headings) == 6 and all(VIETNAMESE.search(h) for h in headings)


def test_the_posture_report_in_english_has_english_labels_and_charts(
    office: Office, tmp_path: Path
) -> None:
    vietnamese = parse(document(office, tmp_path, "report", "posture"))
    english = parse(document(office, tmp_path, "--lang", "en", "report", "posture"))
    assert english.lang == "en"
    labels = _labels(english)
    assert len(labels) >= 10 and [x for x in labels if VIETNAMESE.search(x)] == []
    assert english.texts["th"] and not any(VIETNAMESE.search(th) for th in english.texts["th"])
    assert len(english.texts["h2"]) == len(vietnamese.texts["h2"])  # the same sections
    assert len(english.texts["tr"]) == len(vietnamese.texts["tr"])  # the same rows
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", " ".join(english.texts["dd"]))  # dd/mm/yyyy


def test_the_dossier_in_english_keeps_the_national_header_in_vietnamese(
    office: Office, tmp_path: Path
) -> None:
    html = document(office, tmp_path, "--lang", "en", "dossier", "render", SYSTEM)
    page = parse(html)
    assert page.lang == "en"
    assert NATION in html and "Độc lập - Tự do - Hạnh phúc" in html
    labels = _labels(page) + [th.strip() for th in page.texts["th"]]
    assert len(labels) >= 20 and [x for x in labels if VIETNAMESE.search(x)] == []
    assert not VIETNAMESE.search(page.texts["h1"][0])  # the title
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", " ".join(page.texts["td"]))  # signed steps


def test_the_vietnamese_dossier_is_unchanged_by_the_english_one(
    office: Office, tmp_path: Path
) -> None:
    """Rendering in English first leaves no trace in the default (cached templates, frames)."""
    document(office, tmp_path, "--lang", "en", "dossier", "render", SYSTEM)
    page = parse(document(office, tmp_path, "dossier", "render", SYSTEM))
    assert page.lang == "vi"
    assert all(VIETNAMESE.search(h) for h in page.texts["h2"] if h.strip())
    assert VIETNAMESE.search(page.texts["h1"][0])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_markdown_dossier_follows_the_language(tmp_path: Path, lang: str) -> None:
    office = make_office(tmp_path)
    ok(office.ws, "dossier", "new", SYSTEM)
    text = document(office, tmp_path, "--lang", lang, "dossier", "render", SYSTEM, "-f", "md")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert len(headings) >= 6
    assert all(bool(VIETNAMESE.search(h)) == (lang == "vi") for h in headings)
    assert NATION in text


# --- the core builds each document in the language asked for ----------------------------------


def _speaks(texts: list[str], lang: str) -> bool:
    """Every text is Vietnamese (lang vi) or none is (lang en)."""
    return all(bool(VIETNAMESE.search(text)) == (lang == "vi") for text in texts)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_core_frames_the_dossier_in_the_language_asked_for(office: Office, lang: str) -> None:
    context = document_context(open_workspace(office.ws), SYSTEM, date.today(), lang)
    doc = context["doc"]
    name = context["system"]["name"]
    assert doc.lang == lang and doc.signer is not None and name in (doc.subject or "")
    data = {SYSTEM, context["dossier"]["content_sha256"][:16]}  # the id and hash are not words
    labelled = [value for value in doc.metadata.values() if value not in data]
    frame = [doc.title, (doc.subject or "").replace(name, ""), doc.signer.title, *doc.metadata]
    assert len(labelled) == 2 and _speaks([*frame, *labelled], lang), frame + labelled
    labels = [label for group in context["labels"].values() for label in group.values()]
    assert len(labels) >= 30 and _speaks(labels, lang)


def _chart_texts(chart: str) -> list[str]:
    return [text.strip() for text in parse(chart).texts["svg-text"]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_core_builds_the_posture_frame_and_charts_in_the_language_asked_for(
    office: Office, lang: str
) -> None:
    result = compute_posture(open_workspace(office.ws), date.today())
    context = report_context(result, lang)
    doc = context["doc"]
    assert doc.lang == lang and _speaks([doc.title, doc.subject or "", *doc.metadata], lang)
    other = report_context(result, "en" if lang == "vi" else "vi")["charts"]
    for name, chart in context["charts"].items():
        texts = _chart_texts(chart)
        words = [text for text in texts if re.search(r"[^\W\d_]", text)]  # not bare numbers
        assert words and _speaks(words, lang), words
        assert len(texts) == len(_chart_texts(other[name]))  # the same bars and slices
