"""Entry point for ``python -m domogov``."""

from domogov.cli import main

if __name__ == "__main__":
    main()
