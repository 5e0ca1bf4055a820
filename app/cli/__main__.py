"""`python -m app.cli ...`: the same command line as `loupe ...`."""

from app.cli import main

if __name__ == "__main__":
    main()
