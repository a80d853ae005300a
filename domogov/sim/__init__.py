"""The Domo simulator: a stateful fake of the Domo product API; imports nothing else from domogov."""
