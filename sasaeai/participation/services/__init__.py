"""Writes of participation, one module per area: voices.py (steps, workshops and hearings, voices,
tags) and committees.py. Surveys are written by ../surveys.py and ../surveys_import.py, public comment
by ../comments.py."""
