// The toolkit's version, defined here and nowhere else: `abnfc vendor` writes it
// into the provenance header of every vendored file, and `abnfc --version` prints
// it. CHANGELOG.md's newest entry names the same version (scripts/check-repo.sh
// fails when they differ): change both together.

public enum ToolkitVersion {
    /// Semantic versioning: the minor number grows with each set of user-visible
    /// changes listed in CHANGELOG.md, while the major number is 0.
    public static let current = "0.4.0"
}
