# Sourced at the top of the repository's scripts: `-h` or `--help` prints the
# script's header comment (its documentation: what it does, its arguments and
# environment variables) and exits, so asking for help never starts a long job.
case "${1:-}" in
    -h | --help)
        sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
esac
