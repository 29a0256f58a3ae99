"""Markdown content files -> plain objects. Imports neither Flask nor the database."""

from app.content.errors import ContentError, Problem
from app.content.loader import ContentSet, load_content

__all__ = ["ContentError", "ContentSet", "Problem", "load_content"]
