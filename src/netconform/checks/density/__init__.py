"""Pod density: reading nodes into the density model, and the fill test's pods."""
