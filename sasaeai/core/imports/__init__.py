"""One pipeline for every file import: see ``base`` (the steps), ``problems`` (what is wrong, in
Japanese), ``guard`` (zip containers), ``text`` (encodings) and ``pending`` (uploads waiting for
confirmation)."""

from .base import Importer, Source, size_label
from .problems import ImportRefused, Problem, Problems, column_name, refuse

__all__ = ["ImportRefused", "Importer", "Problem", "Problems", "Source", "column_name", "refuse", "size_label"]
