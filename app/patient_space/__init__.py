"""The patient's own space: "My appointments", reached by a one-time code."""
