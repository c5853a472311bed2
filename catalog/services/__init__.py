"""Services: plain functions named verb_noun. The acting user is an argument; the caller commits."""
