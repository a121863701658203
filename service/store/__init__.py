"""Persistence: database engine and tables, entity CRUD, background jobs, migrations."""
