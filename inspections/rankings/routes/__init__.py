from inspections.rankings.routes import downloads, notices, office

ROUTES = [*office.ROUTES, *notices.ROUTES, *downloads.ROUTES]
