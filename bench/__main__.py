"""Run every benchmark in turn; each prints its figures beside their goals."""

from bench import digest, fanout, load, search_quality, startup, understanding


def main() -> None:
    fanout.main()
    load.main()
    digest.main()
    startup.main()
    understanding.main()
    search_quality.main([])


if __name__ == "__main__":
    main()
