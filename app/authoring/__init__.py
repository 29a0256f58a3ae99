"""The educators' workspace (/author/): question statistics first."""
