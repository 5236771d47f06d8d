"""``python -m rustle_invoke`` is the ``rustle-invoke`` console script."""

from rustle_invoke.tasks import main

if __name__ == "__main__":
    main()
