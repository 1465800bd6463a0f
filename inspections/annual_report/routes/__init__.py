from inspections.annual_report.routes import public, staff

ROUTES = [*staff.ROUTES, *public.ROUTES]
