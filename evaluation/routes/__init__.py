from evaluation.routes import accounts, audit_trail, calendar, criticism, panel, departments, directory, ratings, results, sign_in

ROUTES = [
    *directory.ROUTES,
    *ratings.ROUTES,
    *results.ROUTES,
    *criticism.ROUTES,
    *calendar.ROUTES,
    *panel.ROUTES,
    *sign_in.ROUTES,
    *departments.ROUTES,
    *accounts.ROUTES,
    *audit_trail.ROUTES,
]
