"""Reads for the API, the CLI and the board; nothing here writes (the tables belong to the
sales and OKR wings)."""
