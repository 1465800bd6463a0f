from evaluation.surveys.routes import answering, exchange, office

ROUTES = [
    *answering.ROUTES,
    *office.ROUTES,
    *exchange.ROUTES,
]
