"""The program's data: SQLAlchemy tables, the engine from PARTNERBOT_DATABASE_URL, migrations and the CSV import."""
