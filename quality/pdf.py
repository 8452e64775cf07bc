"""Every PDF the portal makes (an audit, a report, a scorecard pack) is made here, one way.

WeasyPrint turns the page's HTML and one print stylesheet into the PDF, fetching nothing from outside
the process (the charts are inline SVG, the fonts the system's, embedded). The PDF is tagged as
PDF/UA-1 asks (issue 16): a structure tree of headings, paragraphs, lists and tables with their
header cells, in reading order, so that a screen reader can read and navigate it; its language and
title come from the template's `<html lang>` and `<title>`. Public bodies must publish accessible
documents, and these go to councillors, inspectors and the child's record.
"""

from functools import cache

from django.contrib.staticfiles import finders

PDF_VARIANT = "pdf/ua-1"


@cache
def stylesheet_text(path: str) -> str:
    """A stylesheet under static/, read once per process."""
    with open(finders.find(path), encoding="utf-8") as css:
        return css.read()


def html_to_pdf(html: str, *, stylesheet: str) -> bytes:
    """The PDF of `html` printed with the stylesheet at `stylesheet` (a static path), tagged."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which only workers and commands need
    from weasyprint.urls import URLFetcher

    no_network = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=no_network).write_pdf(
        stylesheets=[CSS(string=stylesheet_text(stylesheet), url_fetcher=no_network)],
        pdf_variant=PDF_VARIANT,
    )
