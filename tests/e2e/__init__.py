"""Browser tests (Playwright on Debian's Chromium).

This folder is a package so that its conftest.py is imported as `e2e.conftest`: without it, pytest would import it
under the bare name `conftest` and replace tests/conftest.py in sys.modules, breaking `from conftest import ...`
in the other test folders.
"""
