"""L4, presentation: number formats, verdicts in words, the terminal table, figures, the HTML page."""
