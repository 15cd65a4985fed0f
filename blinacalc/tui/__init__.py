"""The Textual app: ``make_app`` builds it for the entry point and the tests alike. No maths here."""
