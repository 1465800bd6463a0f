from evaluation.routes import (
    accounts,
    audit_trail,
    calendar,
    criticism,
    departments,
    directory,
    panel,
    periods,
    rating_office,
    ratings,
    results,
    sign_in,
)

ROUTES = [
    *directory.ROUTES,
    *ratings.ROUTES,
    *results.ROUTES,
    *criticism.ROUTES,
    *calendar.ROUTES,
    *panel.ROUTES,
    *rating_office.ROUTES,
    *sign_in.ROUTES,
    *departments.ROUTES,
    *periods.ROUTES,
    *accounts.ROUTES,
    *audit_trail.ROUTES,
]
