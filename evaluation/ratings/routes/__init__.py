from evaluation.ratings.routes import criticism, panel, periods, rating_office, ratings, results

ROUTES = [
    *ratings.ROUTES,
    *results.ROUTES,
    *criticism.ROUTES,
    *panel.ROUTES,
    *rating_office.ROUTES,
    *periods.ROUTES,
]
