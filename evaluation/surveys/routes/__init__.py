from evaluation.surveys.routes import answering

ROUTES = [
    *answering.ROUTES,
]
