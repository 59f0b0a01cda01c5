"""The item catalog (items and recipes of a game) and the production-chain math over it."""
