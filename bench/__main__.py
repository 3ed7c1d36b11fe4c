"""Run every benchmark in turn and print their ratios."""

from bench import fanout, load


def main() -> None:
    fanout.main()
    load.main()
    try:
        from bench import digest
    except ImportError:
        return
    digest.main()


if __name__ == "__main__":
    main()
