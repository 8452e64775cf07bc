"""What children, young people and families say: surveys built with the tool builder, answered through
one-time links without signing in, and their results with small numbers suppressed."""
