//! Page analysis over HTML fixtures.
