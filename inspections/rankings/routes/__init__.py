from inspections.rankings.routes import downloads

ROUTES = [*downloads.ROUTES]
