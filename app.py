"""Dossier: the Chalice app. Wiring only: blueprints, event sources, middleware."""

from chalice import Chalice

from chalicelib.accounts.api import router as account_routes
from chalicelib.api.auth import auth_blueprint
from chalicelib.api.meta import router as meta_routes
from chalicelib.api.middleware import http_middleware

app = Chalice(app_name="dossier")
app.register_middleware(http_middleware, "http")
app.register_blueprint(auth_blueprint)
app.register_blueprint(account_routes.blueprint)
app.register_blueprint(meta_routes.blueprint)
