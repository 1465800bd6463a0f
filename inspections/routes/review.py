"""review"""

ROUTES: list = []
