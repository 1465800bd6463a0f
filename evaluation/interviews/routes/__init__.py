from evaluation.interviews.routes import office, public, questions, resources

ROUTES = [*public.ROUTES, *questions.ROUTES, *office.ROUTES, *resources.ROUTES]
