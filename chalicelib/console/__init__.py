"""The staff console: a single-page app at `/app/` (Preact + htm as plain ES modules, served by the app)."""
