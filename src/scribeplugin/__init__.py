"""scribeplugin: grounded ICD-10-CM coding help for AI medical scribes.

Importing the package is cheap: no torch, no model, no code set is loaded until first use.
"""

__version__ = "0.1.0"
