"""One router per resource; each is thin and calls the library modules."""
