from evaluation.surveys.routes import answering, office

ROUTES = [
    *answering.ROUTES,
    *office.ROUTES,
]
