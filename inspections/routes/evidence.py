"""evidence"""

ROUTES: list = []
