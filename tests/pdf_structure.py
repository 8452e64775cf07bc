"""What a screen reader gets from a PDF the portal made: its tags, language, title and fonts.

Read back from the bytes with pypdf (the structure tree) and poppler (pdfinfo, pdffonts), never from the
code that wrote them, so a PDF that stopped being tagged fails here whatever the code says.
"""

import io
import subprocess
from collections import Counter
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject


@dataclass
class Accessibility:
    tagged: bool  # pdfinfo's "Tagged: yes"
    language: str | None  # the catalogue's /Lang
    title: str  # pdfinfo's Title
    title_shown: bool  # /ViewerPreferences /DisplayDocTitle: readers show the title, not the file name
    roles: Counter  # structure element types (/H1, /Table, /TH...) and how many of each
    figures_without_text: int  # /Figure elements with no /Alt: a chart a screen reader cannot name
    fonts_embedded: bool
    font_count: int

    @property
    def headings(self) -> int:
        return sum(count for role, count in self.roles.items() if role in {"H1", "H2", "H3", "H4", "H5", "H6"})


def accessibility(data: bytes) -> Accessibility:
    info = _poppler("pdfinfo", data)
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    catalog = PdfReader(io.BytesIO(data)).trailer["/Root"]
    fonts = _poppler("pdffonts", data).splitlines()[2:]  # after the header and its rule
    preferences = catalog.get("/ViewerPreferences", {})
    return Accessibility(
        tagged=fields.get("Tagged", "").strip() == "yes",
        language=str(catalog["/Lang"]) if "/Lang" in catalog else None,
        title=fields.get("Title", "").strip(),
        title_shown=bool(preferences.get("/DisplayDocTitle", False)),
        **_structure(catalog.get("/StructTreeRoot")),
        # Columns: name type encoding emb sub uni object ID: "emb" is fifth from the end.
        fonts_embedded=bool(fonts) and all(row.split()[-5] == "yes" for row in fonts),
        font_count=len(fonts),
    )


def _poppler(tool: str, data: bytes) -> str:
    return subprocess.run([tool, "-"], input=data, capture_output=True, check=True).stdout.decode()


def _structure(tree) -> dict:
    roles, figures_without_text = Counter(), 0

    def walk(node) -> None:
        if isinstance(node, IndirectObject):
            node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                role = str(node["/S"]).lstrip("/")
                roles[role] += 1
                if role == "Figure" and not str(node.get("/Alt", "")).strip():
                    nonlocal figures_without_text
                    figures_without_text += 1
            if "/K" in node:
                walk(node["/K"])

    if tree is not None:
        walk(tree)
    return {"roles": roles, "figures_without_text": figures_without_text}
