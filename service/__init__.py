"""Löftesplan's planners, maps, store, API and CLI, built on :mod:`geodata`."""
