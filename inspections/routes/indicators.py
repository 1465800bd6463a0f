"""indicators"""

ROUTES: list = []
