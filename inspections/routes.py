"""Routes of the assessment side (indicator systems, rounds, checklists, rankings)."""

ROUTES: list = []
