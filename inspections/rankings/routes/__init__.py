from inspections.rankings.routes import notices, office

ROUTES = [*office.ROUTES, *notices.ROUTES]
