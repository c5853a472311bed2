"""Settings and declared data (agencies, plan, standards). Imports nothing from the project."""
