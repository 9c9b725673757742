"""Rendering for people: verdicts as terminal text and report HTML, and the run overview. Pure (no I/O
libraries, no pytest or Allure): it reads verdicts from the core and returns strings."""
