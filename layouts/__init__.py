"""Dash pages and pure layout pieces: functions of data that return components, nothing else."""
