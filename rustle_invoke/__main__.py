"""``python -m rustle_invoke`` is the ``rustle-invoke`` console script."""

from rustle_invoke.cli import main

if __name__ == "__main__":
    main()
