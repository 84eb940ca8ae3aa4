"""PDF rendering with WeasyPrint that can fetch nothing but the files under static/."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher

STATIC = (Path(__file__).resolve().parent.parent / "static").resolve()


class FetchRefused(ValueError):
    """A document asked for a resource outside static/."""


class StaticOnlyFetcher(URLFetcher):
    """Fetch files under static/ and refuse every other URL (http, data, other files)."""

    def __init__(self):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)

    def fetch(self, url: str, headers=None):
        """Fetch the URL if it names a file inside static/."""
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or parts.netloc or not path.is_relative_to(STATIC) or not path.is_file():
            raise FetchRefused(f"refused to fetch {url}")
        return super().fetch(path.as_uri(), headers)


def render_pdf(html: str) -> bytes:
    """Render HTML to PDF; relative URLs resolve inside static/ and nothing else is fetched."""
    base_url = STATIC.as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()
