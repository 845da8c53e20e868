//! Parsers for header grammars (HSTS, CSP, Set-Cookie): pure, total over any input.
