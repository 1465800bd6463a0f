"""rounds"""

ROUTES: list = []
