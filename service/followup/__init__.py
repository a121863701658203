"""Follow-up: promises and their parser, safety-walk findings, progress against the promise."""
