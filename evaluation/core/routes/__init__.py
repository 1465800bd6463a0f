from evaluation.core.routes import accounts, audit_trail, calendar, departments, directory, sign_in

ROUTES = [
    *directory.ROUTES,
    *sign_in.ROUTES,
    *departments.ROUTES,
    *accounts.ROUTES,
    *audit_trail.ROUTES,
    *calendar.ROUTES,
]
