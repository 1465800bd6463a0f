from inspections.checklists.routes import checklists, evidence, offline, review, score_imports

ROUTES = [*checklists.ROUTES, *evidence.ROUTES, *offline.ROUTES, *review.ROUTES, *score_imports.ROUTES]
