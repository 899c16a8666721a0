# Sourced by the load scripts: sets `server` to the clientid-server binary to drive.
# SERVER names a prebuilt one; otherwise a release build is made (or brought up to
# date) in SCRATCH (default .build-server-release under the repository root `root`).
server=${SERVER:-}
if [ -z "$server" ]; then
    scratch=${SCRATCH:-$root/.build-server-release}
    echo "== building clientid-server (release, $scratch)"
    (cd "$root" && swift build -c release --product clientid-server --scratch-path "$scratch" >/dev/null)
    server="$scratch/release/clientid-server"
fi
