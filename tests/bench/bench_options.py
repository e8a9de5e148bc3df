"""What both benchmarks take on their command line, and how they sum up repeated pairs."""
import shutil
import sys


def options(argv):
    """BUILD_DIR [SECONDS] [--bochs] [--runs N] -> (build_dir, seconds, bochs, runs), or None
    when the arguments are not of that form."""
    arguments, bochs, runs = [], False, 1
    items = iter(argv)
    for item in items:
        if item == "--bochs":
            bochs = True
        elif item == "--runs":
            value = next(items, "")
            if not value.isdigit():
                return None
            runs = int(value)
        else:
            arguments.append(item)
    if len(arguments) not in (1, 2) or runs < 1:
        return None
    if len(arguments) == 2 and not arguments[1].isdigit():
        return None
    return arguments[0], int(arguments[1]) if len(arguments) == 2 else 10, bochs, runs


def median_range(values):
    """'median (lowest to highest)' of a list of ratios."""
    ordered = sorted(values)
    return "%.2f (%.2f to %.2f)" % (ordered[len(ordered) // 2], ordered[0], ordered[-1])


def options_or_exit(argv, usage, tool, name):
    """options(argv), or the usage on stderr and exit status 2; exit status 1 when the host
    tool the benchmark drives (wrk, iperf) is missing."""
    parsed = options(argv)
    if not parsed:
        print(usage, file=sys.stderr)
        raise SystemExit(2)
    if not shutil.which(tool):
        print("%s: Debian's %s is not installed (./nk deps)" % (name, tool), file=sys.stderr)
        raise SystemExit(1)
    return parsed
