"""The reports stack shared by dossiers, the posture report and drill reports.

Templates live in the shipped ``reports/`` folder (a workspace ``reports/`` folder overrides them);
:mod:`~socctl.reports.render` renders HTML and Markdown, :mod:`~socctl.reports.pdf` prints HTML to
PDF with headless Chromium, :mod:`~socctl.reports.svg` draws inline charts and
:mod:`~socctl.reports.document` describes a document's header, metadata and signature.
"""

from socctl.reports.document import Document, Issuer, Section, Signer
from socctl.reports.pdf import html_to_pdf, write_pdf
from socctl.reports.render import render_html, render_markdown

__all__ = [
    "Document",
    "Issuer",
    "Section",
    "Signer",
    "html_to_pdf",
    "render_html",
    "render_markdown",
    "write_pdf",
]
