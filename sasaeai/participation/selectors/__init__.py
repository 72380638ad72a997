"""Reads of participation, one module per area: voices.py (timeline, voices, traceability) and
committees.py. Survey figures are read by ../tabulation.py, public comment by ../comments.py."""
