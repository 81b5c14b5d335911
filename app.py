"""Dossier: the Chalice app. Wiring only: blueprints, event sources, middleware."""

from chalice import Chalice

from chalicelib.accounts.api import router as account_routes
from chalicelib.api.auth import auth_blueprint
from chalicelib.api.meta import router as meta_routes
from chalicelib.api.middleware import http_middleware
from chalicelib.attributes.api import router as attribute_routes
from chalicelib.customers.api import router as customer_routes
from chalicelib.groups.api import router as group_routes

app = Chalice(app_name="dossier")
app.register_middleware(http_middleware, "http")
app.register_blueprint(auth_blueprint)
for routes in (account_routes, group_routes, attribute_routes, customer_routes, meta_routes):
    app.register_blueprint(routes.blueprint)
