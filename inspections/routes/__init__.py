from inspections.routes import checklists, evidence, indicators, review, rounds, score_imports

ROUTES = [
    *indicators.ROUTES,
    *rounds.ROUTES,
    *checklists.ROUTES,
    *evidence.ROUTES,
    *review.ROUTES,
    *score_imports.ROUTES,
]
