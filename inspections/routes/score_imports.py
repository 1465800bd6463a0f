"""score_imports"""

ROUTES: list = []
