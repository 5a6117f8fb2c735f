"""The content of one page, before any HTML: what a perfect extractor would return."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Section:
    heading: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # a bullet list after the paragraphs
    links: list[tuple[str, str]] = field(default_factory=list)  # (anchor text, href) list items
    table: list[list[str]] = field(default_factory=list)  # rows of cells
    preformatted: str | None = None  # one <pre> block after the paragraphs


@dataclass
class Document:
    title: str
    sections: list[Section]
    lang: str = "en"
    topic: str | None = None
    author: str | None = None

    def main_text(self) -> str:
        """Headline, headings, paragraphs, list items, table rows and code, one per line, in page order."""
        lines = [self.title]
        for section in self.sections:
            if section.heading:
                lines.append(section.heading)
            lines.extend(section.paragraphs)
            lines.extend(section.items)
            lines.extend(text for text, _ in section.links)
            lines.extend(" ".join(row) for row in section.table)
            if section.preformatted:
                lines.append(section.preformatted)
        return "\n".join(lines)

    def words(self) -> int:
        return len(self.main_text().split())
