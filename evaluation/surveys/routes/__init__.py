from evaluation.surveys.routes import answering, exchange, office, results

ROUTES = [
    *answering.ROUTES,
    *office.ROUTES,
    *exchange.ROUTES,
    *results.ROUTES,
]
