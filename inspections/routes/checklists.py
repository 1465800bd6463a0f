"""checklists"""

ROUTES: list = []
