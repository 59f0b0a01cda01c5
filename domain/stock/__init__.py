"""What users hold (assets), what they want to hold (stockpile markers), and the pure rules
that turn the difference into automatic production."""
