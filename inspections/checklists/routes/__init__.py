from inspections.checklists.routes import checklists, evidence, review, score_imports

ROUTES = [*checklists.ROUTES, *evidence.ROUTES, *review.ROUTES, *score_imports.ROUTES]
