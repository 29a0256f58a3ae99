"""Observed practice: a mentor's mentoring conversation, rated against a rubric by an
educator or coordinator; a requirement of certification like a course."""
