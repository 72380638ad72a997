"""The pages of this app, one module per area (see urls.py)."""
